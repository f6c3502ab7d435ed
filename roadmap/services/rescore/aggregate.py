"""Part of phase 2: the evidence a run reads, reach totals aggregated in SQL and pending items.

Input: a cursor (the run's, or a reader's in `streams`); the initiatives
(ids, or a range of ids); the run's now and policy.
Output: `ReachRow`s in initiative id order (each made of its rows of the
aggregate's two queries, `reach_sql.TotalsQueries`); `PendingItem`s, dates as aware
datetimes on both backends.
Writes: nothing.
Assumes: the caller makes both reads at one snapshot (`evidence`). The SQL
and its rows are roadmap.scoring's (`reach_sql`, `reach`), next to the pure
functions they mirror; this module only runs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connection

from roadmap import scoring
from roadmap.models import Initiative
from roadmap.scoring import PendingItem, reach_sql
from roadmap.scoring.reach_rows import merged_rows
from roadmap.scoring.reach_sql import ReachRow, TotalsQueries

from ..sql import as_datetime, fetch_numbers, ids_param, in_ids_sql, is_postgres

__all__ = [
    "PendingItem",
    "ReachRow",
    "TotalsOnly",
    "TotalsQueries",
    "pending_items",
    "reach_rows",
    "reach_totals_query",
    "row_maker",
]


@dataclass(frozen=True, slots=True)
class TotalsOnly:
    """A what-if's aggregate: only the totals under the policy, not the importance sums a
    rescore keeps (`reach_sql.weighted_totals_sql`), and only of the initiatives whose
    reach is from evidence or whose ids are in `also` (edited to be)."""

    also: tuple[int, ...] = ()


def reach_totals_query(
    ids: list[int] | None,
    now: datetime,
    policy: scoring.ScoringPolicy,
    between: tuple[int | None, int | None] = (None, None),
    only: TotalsOnly | None = None,
) -> tuple[TotalsQueries, dict]:
    """The two queries and their parameters of the `ReachRow`s of the initiatives in `ids`.

    `ids` None: all.

    `between`: only initiative ids in [from, to), either end open (None).
    `only`: a what-if's totals (`TotalsOnly`, rows made by `row_maker`).
    """
    if only is None:
        params = reach_sql.reach_totals_params(now.timestamp(), policy)
    else:
        params = reach_sql.weighted_totals_params(now.timestamp(), policy)
    where = "initiative_id IS NOT NULL"
    if ids is not None:
        where, params["ids"] = in_ids_sql("initiative_id", "%(ids)s"), ids_param(ids)
    for bound, operator, name in zip(between, (">=", "<"), ("from_id", "to_id"), strict=True):
        if bound is not None:
            where += f" AND initiative_id {operator} %({name})s"
            params[name] = bound
    if only is None:
        return reach_sql.reach_totals_sql(connection.vendor, where, policy), params
    # A semi-join PostgreSQL runs as a merge join on the initiatives' primary
    # key: the evidence still comes in the covering index's order.
    where += (
        " AND initiative_id IN (SELECT id FROM roadmap_initiative"
        f" WHERE reach_source = %(evidence)s OR {in_ids_sql('id', '%(also)s')})"
    )
    params["evidence"] = Initiative.ReachSource.EVIDENCE.value
    params["also"] = ids_param(only.also)
    return reach_sql.weighted_totals_sql(connection.vendor, where, policy), params


def row_maker(policy: scoring.ScoringPolicy, only: TotalsOnly | None = None):
    """What makes a `ReachRow` of an initiative's rows of `reach_totals_query` (`make`)."""
    return reach_sql.ReachRowMaker(policy) if only is None else reach_sql.WeightedRowMaker()


def reach_rows(
    cursor,
    ids: list[int] | None,
    now: datetime,
    policy: scoring.ScoringPolicy,
    between: tuple[int | None, int | None] = (None, None),
    only: TotalsOnly | None = None,
) -> list[ReachRow]:
    """The totals of the initiatives in `ids` (None: all) with evidence, in id order.

    `only`: a what-if's (`TotalsOnly`; `ReachRow.sets` all 0).
    """
    queries, params = reach_totals_query(ids, now, policy, between, only)
    anonymous = fetch_numbers(cursor, queries.anonymous, params)
    customers = fetch_numbers(cursor, queries.customers, params)
    return list(merged_rows(customers, anonymous, row_maker(policy, only)))


def pending_items(cursor, claimed: list[int] | None, weighs: bool = False) -> list[PendingItem]:
    """The new evidence waiting to be folded in, for the `claimed` initiatives (None: all).

    `weighs`: the run's policy weighs revenue, so each item comes with its
    customer's revenue (`reach_sql.pending_items_sql`).

    Rows of deleted or unlinked items come too (initiative id None), to be
    dropped. Items of initiatives not claimed (committed since the claim)
    are left for the next run; filtered here, as `= ANY` of 10,000 ids costs
    a scan of the array per row.
    """
    cursor.execute(reach_sql.pending_items_sql(connection.vendor, weighs))
    items = list(map(PendingItem._make, cursor.fetchall()))
    if not is_postgres():  # dates as text
        items = [
            item._replace(
                received_at=_date(item.received_at), newest_before=_date(item.newest_before)
            )
            for item in items
        ]
    if claimed is None:  # everything is claimed
        return items
    wanted = set(claimed)
    return [item for item in items if item.initiative_id is None or item.initiative_id in wanted]


def _date(value) -> datetime | None:
    return None if value is None else as_datetime(value)
