"""Phase 2, read the evidence: pending items and aggregated totals, at one snapshot.

Input: the claimed initiatives' ids, which of them to aggregate (`scope`),
the run's now, policy and tuning.
Output: `EvidenceReads`: the pending items (`aggregate.PendingItem`), the
aggregated totals (`aggregate.ReachRow`, an iterator: on PostgreSQL they
arrive while the run scores), and how they were read.
Writes: nothing.
Assumes: both reads see one snapshot: an item committed between two reads
would be counted by the aggregate and, still pending, folded in again later.

How: in a caller's transaction (a test, an eager task inside a request) and
on SQLite, both are read on the run's connection, one after the other
("here"). In the worker's transaction (the outermost) on PostgreSQL, on
other connections at the run's snapshot (`streams`, "streamed"). A run that
claims and re-aggregates everything starts its aggregate before its claim
(`read_ahead`, "read-ahead").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from django.db import connection

from roadmap import scoring

from ..sql import is_postgres
from . import aggregate, claim, streams
from .aggregate import PendingItem, ReachRow
from .claim import Claim, FullRequest
from .tuning import Tuning


class EvidenceReads(NamedTuple):
    pending: list[PendingItem]
    rows: Iterator[ReachRow]  # in id order within each range read
    how: str  # "here", "streamed" or "read-ahead"


def can_stream() -> bool:
    """Whether evidence is read on other connections (see the module's docstring)."""
    return is_postgres() and len(connection.atomic_blocks) == 1


def evidence_reads(
    claimed: list[int],
    scope: list[int] | None,
    aggregate_rows: bool,
    now: datetime,
    policy: scoring.ScoringPolicy,
    tuning: Tuning,
) -> EvidenceReads:
    """The pending items of the `claimed` initiatives, and the totals of those in `scope`.

    `scope` None: every initiative with evidence; no totals unless `aggregate_rows`.
    """
    if can_stream():
        with connection.cursor() as cursor:
            snapshot = streams.export_snapshot(cursor)
        take_pending, rows = streams.stream_evidence(
            snapshot, claimed, scope, now, policy, tuning, aggregate_rows=aggregate_rows
        )
        return EvidenceReads(take_pending(), rows, "streamed")
    with connection.cursor() as cursor:
        pending = aggregate.pending_items(cursor, claimed, policy.revenue_weight != 0)
        rows = aggregate.reach_rows(cursor, scope, now, policy) if aggregate_rows else []
    return EvidenceReads(pending, iter(rows), "here")


@dataclass(slots=True)
class ReadAhead:
    """A full re-aggregation's reads, started before its claim (see `read_ahead`)."""

    claim: Callable[[], tuple[list[Claim], list[PendingItem]]]  # waits for them
    rows: Iterator[ReachRow]


def read_ahead(
    cursor,
    requests: list[FullRequest],
    now: datetime,
    policy: scoring.ScoringPolicy,
    tuning: Tuning,
) -> ReadAhead | None:
    """For a run that claims and aggregates everything: claim and aggregate at once.

    Such a run need not see its claim to know what to aggregate, so the
    aggregate starts on connections of its own and the claim is read on
    another, all at this transaction's snapshot, while the run reads the
    alignments: the claim (~0.04 s at 10,000 initiatives) is not ahead of
    the aggregate. At one snapshot with the aggregate, as in the other order:
    a mark that arrives later moves `mark_version` past the claimed one.
    None when the run is not that (or is inside a caller's transaction).
    """
    if not (can_stream() and any(request.reaggregate for request in requests)):
        return None
    snapshot = streams.export_snapshot(cursor)
    _, rows = streams.stream_evidence(snapshot, None, None, now, policy, tuning, pending=False)

    def claim_and_pending(claim_cursor, put) -> None:
        # The aggregate's connections go straight to the aggregate.
        claimed = claim.claim_rows(claim_cursor, requests, policy)
        put((claimed, streams.pending_at(claim_cursor, None, policy.revenue_weight != 0)))

    take = streams.at_snapshot(snapshot, "rescore-claim", claim_and_pending, tuning)
    return ReadAhead(claim=take, rows=rows)


def to_fold(
    pending: list[PendingItem], aggregated: Callable[[int], bool]
) -> dict[int, list[PendingItem]]:
    """The pending items by initiative, of those whose totals are not aggregated.

    An aggregate read at the same snapshot counts the others' items already.
    """
    folds: dict[int, list[PendingItem]] = {}
    for item in pending:
        iid = item.initiative_id
        if iid is not None and not aggregated(iid):
            folds.setdefault(iid, []).append(item)
    return folds
