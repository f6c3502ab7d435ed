"""What-if for evidence weights: every initiative's reach totals under a proposed policy.

A policy that changes only the importance weights recombines the sums each
initiative keeps by importance (`scoring.reach`, "Sums by importance"; the
rescore keeps them with its other evidence sums): one read of the
initiatives with evidence-backed reach, 10 multiplications each, the new
evidence still pending folded in as the rescore would fold it. Exactly the
totals the aggregate would give. Initiatives whose sums are unknown (never
aggregated, forgotten by an edit, kept under another half-life) are
aggregated, those only.

Any other evidence term (revenue weight, half-life, the weight of customers
without a segment) changes every customer's term: the aggregate of all the
evidence, once, with the rescore's planner settings, and only the totals
(`reach_sql.weighted_totals_sql`: the weights in SQL, not the importance
sums a rescore keeps). Outside a caller's transaction on PostgreSQL it runs
as the rescore's does (`rescore.streams`): in ranges of initiatives, each on
its own connection at this transaction's snapshot, started before the
caller reads the initiatives and alignments, so PostgreSQL aggregates
while Python reads.

Output: `start_fresh_totals` returns what to call for {initiative id:
`scoring.reach_sql.ReachRow`} at `now` (and whether all was re-aggregated).
Writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import NamedTuple

from django.db import transaction

from roadmap import scoring
from roadmap.models import Initiative
from roadmap.scoring.reach_sql import ReachRow
from roadmap.services.rescore import aggregate, rescore_tuning, streams
from roadmap.services.rescore.evidence import can_stream
from roadmap.services.rescore.tuning import tune
from roadmap.services.rescore.write import IMPORTANCE_SUMS
from roadmap.services.sql import as_datetime, fetch_numbers, is_postgres


class Kept(NamedTuple):
    id: int
    anchor: float | str | datetime | None  # epoch seconds on PostgreSQL
    half_life: float | None
    customers: int
    anonymous_items: int
    items: int
    sets: tuple[float, ...]


def _kept_sql() -> str:
    anchor = "date_part('epoch', reach_anchor)" if is_postgres() else "reach_anchor"
    return (
        f"SELECT id, {anchor}, reach_half_life, reach_customers, reach_anonymous_items,"  # noqa: S608 - fixed names
        f" reach_items, {', '.join(IMPORTANCE_SUMS)} FROM roadmap_initiative"
        " WHERE reach_source = %s"
    )


class _KeptRow:
    @staticmethod
    def _make(raw) -> Kept:
        return Kept(*raw[:6], tuple(raw[6:]))


def only_importance_changes(
    current: scoring.ScoringPolicy, proposed: scoring.ScoringPolicy
) -> bool:
    """Whether the evidence terms differ by the importance weights only."""
    return current.evidence_terms()[:2] + current.evidence_terms()[3:] == (
        proposed.evidence_terms()[:2] + proposed.evidence_terms()[3:]
    )


Fresh = Callable[[], tuple[dict[int, ReachRow], bool]]


def start_fresh_totals(
    cursor,
    now: datetime,
    current: scoring.ScoringPolicy,
    proposed: scoring.ScoringPolicy,
    also: tuple[int, ...] = (),
) -> Fresh:
    """What to call, on the same open cursor, for `fresh_totals`' answer.

    A re-aggregation of everything starts here on other connections when it
    can (see the module's docstring): the caller reads meanwhile, in the
    transaction whose snapshot they read at, and calls the result inside it.
    """
    if only_importance_changes(current, proposed) or not can_stream():
        return lambda: fresh_totals(cursor, now, current, proposed, also)
    tuning = rescore_tuning()
    only = aggregate.TotalsOnly(also)
    snapshot = streams.export_snapshot(cursor)
    ranges = streams.ranges_of_totals(cursor, tuning.aggregate_streams, only)
    _, rows = streams.stream_evidence(
        snapshot, None, None, now, proposed, tuning, pending=False, only=only, ranges=ranges
    )
    return lambda: ({row.initiative_id: row for row in rows}, True)


def fresh_totals(
    cursor,
    now: datetime,
    current: scoring.ScoringPolicy,
    proposed: scoring.ScoringPolicy,
    also: tuple[int, ...] = (),
) -> tuple[dict[int, ReachRow], bool]:
    """(every evidence-backed initiative's totals under `proposed` at `now`, re-aggregated all).

    `also`: initiatives an edit may make evidence-backed (those aggregated count them).
    """
    if not only_importance_changes(current, proposed):
        return _aggregated(cursor, None, now, proposed, aggregate.TotalsOnly(also)), True
    kept = fetch_numbers(cursor, _kept_sql(), [Initiative.ReachSource.EVIDENCE], _KeptRow)
    unknown = [k.id for k in kept if k.anchor is None or k.half_life != proposed.half_life_days]
    totals = _aggregated(cursor, unknown, now, proposed) if unknown else {}
    known = {k.id: k for k in kept if k.id not in set(unknown)}
    pending: dict[int, list[scoring.PendingItem]] = {}
    for item in aggregate.pending_items(cursor, sorted(known), proposed.revenue_weight != 0):
        if item.initiative_id in known:
            pending.setdefault(item.initiative_id, []).append(item)
    now_seconds = now.timestamp()
    for iid, k in known.items():
        anchor = k.anchor if isinstance(k.anchor, float) else as_datetime(k.anchor).timestamp()
        sets, customers, anonymous_items, items = k.sets, k.customers, k.anonymous_items, k.items
        if iid in pending:
            sums = scoring.AnchoredReach(
                datetime.fromtimestamp(anchor, UTC),
                k.half_life,
                0.0,
                0.0,
                customers,
                anonymous_items,
                items,
                sets,
            )
            delta = scoring.fold(sums, pending[iid], now, proposed)
            added = scoring.reach_added(sums, delta)
            sets, customers = added.sets, added.customers
            anonymous_items, items = added.anonymous_items, added.items
        factor = scoring.anchored_factor(now_seconds - anchor, k.half_life)
        from_customers, anonymous = scoring.weighted_by_importance(sets, proposed)
        totals[iid] = ReachRow(
            iid,
            from_customers * factor,
            customers,
            anonymous * factor,
            anonymous_items,
            items,
            tuple(value * factor for value in sets),
        )
    return totals, False


def _aggregated(
    cursor,
    ids: list[int] | None,
    now: datetime,
    policy: scoring.ScoringPolicy,
    only: aggregate.TotalsOnly | None = None,
) -> dict[int, ReachRow]:
    """The aggregate of the initiatives in `ids` (None: all), with the rescore's tuning.

    `only`: the totals only, of the initiatives it names (`aggregate.TotalsOnly`).
    """
    with transaction.atomic():
        if is_postgres():
            tune(cursor, rescore_tuning())
        rows = aggregate.reach_rows(cursor, ids, now, policy, only=only)
        if is_postgres():
            # SET LOCAL lasts to the outermost commit: a request's own
            # transaction must not keep the rescore's settings.
            cursor.execute(
                "RESET work_mem; RESET enable_hashagg; RESET jit; RESET synchronous_commit"
            )
    return {r.initiative_id: r for r in rows}
