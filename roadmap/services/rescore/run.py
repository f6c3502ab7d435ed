"""One rescore run, top to bottom: claim, read the evidence, score, rank, write, effects.

One transaction does all of it, so a worker that dies half-way rolls back
and leaves the marks, pending evidence and FullRescore rows in place for
the next run (redelivery or the sweep). Running it twice in a row changes
nothing the second time, and a full one writes no initiative row the
second time.

Each initiative keeps its evidence sums at an anchor (scoring.AnchoredReach):
new items (PendingEvidence) are folded into them, and initiatives whose sums
are unknown are aggregated in SQL, both read at one snapshot. The run's
policy (`scoring.ScoringPolicy`) and tuning (`Tuning`) are taken from
settings here, once, and handed to every phase. Each snapshot lists its
causes (`causes`): those recorded with the marks, the evidence folded in,
rank shifts, decay. docs/RESCORE.md describes the phases and the rows they
pass.
"""

from __future__ import annotations

import gc
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from roadmap import scoring
from roadmap.models import RecomputeRun

from .. import quarantine
from ..nudges import PRIORITY_CHANGED, nudge_on_commit
from ..policy import policy_current
from ..read_cache import priorities_changed
from . import causes, claim, evidence, links, rank, shares, streams, write
from .score import Scorer
from .tuning import Tuning


def scoring_policy() -> scoring.ScoringPolicy:
    """The team's stored policy (roadmap.services.policy): what a run scores with by default."""
    return policy_current()


def rescore_tuning() -> Tuning:
    """The tuning in settings: what a run uses unless it is given another."""
    return Tuning(
        work_mem=settings.RESCORE_WORK_MEM,
        aggregate_streams=settings.RESCORE_AGGREGATE_STREAMS,
    )


@dataclass(frozen=True)
class RescoreResult:
    claimed: int
    changed_ids: list[int]
    snapshot_ids: list[int]
    seconds: float = 0.0
    aggregated: int = 0  # claimed initiatives whose totals were taken from all their evidence
    evidence_read: str = ""  # how: "here", "streamed" or "read-ahead" (evidence.EvidenceReads)


@contextmanager
def cycle_collector_paused():
    """Python's cycle collector off for the run, back on after (if it was on).

    A full run builds ~200,000 objects (rows and breakdowns) and keeps them
    until the write; the collector would walk them, and everything else the
    process holds, a few hundred times per run (~60 ms of a 0.5 s nightly
    run). Nothing the run builds is cyclic, so reference counting frees all
    of it.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@cycle_collector_paused()
@transaction.atomic
def initiatives_rescore_marked(
    *,
    now: datetime | None = None,
    policy: scoring.ScoringPolicy | None = None,
    tuning: Tuning | None = None,
) -> RescoreResult:
    """Score every initiative marked `needs_rescore`, re-rank, snapshot what moved.

    Every initiative when a FullRescore is asked for. `policy` and `tuning`
    default to those in settings.
    """
    started = time.perf_counter()
    now = now or timezone.now()
    policy = policy or scoring_policy()
    tuning = tuning or rescore_tuning()
    with connection.cursor() as cursor:
        # 1. Claim. A run that re-aggregates everything starts its aggregate
        # first and reads its claim beside it, at the same snapshot.
        requests = claim.begin(cursor, tuning)
        ahead = evidence.read_ahead(cursor, requests, now, policy, tuning)
        if ahead:
            alignments = links.alignment_links(cursor, None)
            standing = rank.standing(cursor)
            claimed, pending = ahead.claim()
        else:
            claimed = claim.claim_rows(cursor, requests, policy)
        if requests:
            claim.done_full(cursor, requests)
        if not claimed:
            return RescoreResult(claimed=0, changed_ids=[], snapshot_ids=[])
        ids = [c.id for c in claimed]
        recorded = causes.recorded_causes(cursor, ids)

        # 2. Read the evidence. Totals are aggregated only for initiatives
        # whose kept sums are unknown (or asked for); new evidence on the
        # others is folded into their sums. Many to aggregate (the weekly
        # run, a segment weight change): one pass over all the evidence
        # beats thousands of index probes.
        stale = [c.id for c in claimed if c.stale]
        scope = None if len(stale) > tuning.aggregate_all_above else stale
        aggregated = (lambda iid: True) if scope is None else set(stale).__contains__
        if ahead:
            rows, how = ahead.rows, "read-ahead"
        else:
            pending, rows, how = evidence.evidence_reads(
                ids, scope, bool(stale), now, policy, tuning
            )
            # Read while the evidence streams in on other connections.
            few = len(ids) <= tuning.aggregate_all_above
            alignments = links.alignment_links(cursor, ids if few else None)
            standing = rank.standing(cursor)

        # 3. Score, each initiative as its totals arrive; on PostgreSQL its
        # row goes to the write's table at once.
        scorer = Scorer(
            now=now,
            policy=policy,
            links=alignments,
            folds=evidence.to_fold(pending, aggregated),
            aggregated=aggregated,
        )
        with write.scored_rows(cursor) as scored:
            scorer.score_all(claimed, rows, scored.add)

        # 4. Rank everything with this run's scores (for the snapshots: ranks
        # are counted when read, not stored).
        sent = {row.id for row in scored.rows}
        ranking = rank.ranking(standing, claimed, scorer.scores, sent)

        # 5. Causes: what each snapshot says moved it; rows near the top
        # whose rank alone moved get one too (a rank_shift).
        changed = sorted(row.id for row in scored.rows if row.moved)
        trigger = claim.dominant_trigger(c.trigger for c in claimed)
        shifted = causes.rank_shifts(ranking.slipped, ranking, trigger)
        listed = causes.snapshot_causes(
            cursor,
            recorded=recorded,
            moved=[row for row in scored.rows if row.moved] + shifted,
            shifted=shifted,
            pending=pending,
            ranking=ranking,
            decay=bool(requests)
            and claim.dominant_trigger(r.trigger for r in requests) == "schedule",
        )
        shares.with_shares(listed, scorer.moved, policy)

        # 6. Write every changed row in one statement, and the snapshots.
        snapshot_ids = write.write_rows(
            cursor, scored, shifted, (ranking.new, ranking.old), now, listed
        )
        if pending:
            write.pending_done(cursor, pending)
        if recorded:
            causes.causes_done(cursor, recorded, scorer.failures)
    quarantine.quarantine_record(failures=scorer.failures, now=now)
    quarantine.quarantine_release(scored=set(ids).difference(scorer.failures))
    if requests:  # every initiative claimed
        streams.remember_split(claimed, tuning.aggregate_streams)
    seconds = time.perf_counter() - started
    RecomputeRun.objects.create(
        trigger=trigger,
        claimed=len(ids),
        changed=len(changed),
        duration_ms=seconds * 1000,
    )

    # 7. After commit: cached pages and webhooks.
    if ranking.visible:
        priorities_changed()
    if snapshot_ids:
        nudge_on_commit(PRIORITY_CHANGED, snapshot_ids)
    return RescoreResult(
        claimed=len(ids),
        changed_ids=changed,
        snapshot_ids=snapshot_ids,
        seconds=seconds,
        aggregated=len(ids) if scope is None else len(stale),
        evidence_read=how,
    )
