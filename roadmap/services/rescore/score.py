"""Phase 3, score: each claimed initiative's totals for this run, and its score.

Input: each `Claim` with its aggregated totals (`aggregate.ReachRow`, None
when it has no evidence) or, for an initiative not aggregated, its kept
sums and its pending items to fold in; its alignment links; the run's now
and policy.
Output: a `write.WriteRow` per initiative with anything to write (None: its
score, sums and mark stand as they are), and `Scorer.scores` (priority by
id, for the ranking). An initiative whose scoring raises is written as
quarantined (`quarantined_row`) and its error kept in `Scorer.failures`.
Writes: nothing (the rows go to the write phase).
Assumes: the arithmetic is roadmap.scoring's, the one definition of the
formula; this phase only chooses its inputs and what changed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from roadmap import scoring

from ..quarantine import describe
from ..sql import as_datetime, db_timestamp
from .aggregate import ReachRow
from .claim import Claim
from .write import WriteRow, set_sums

NO_EVIDENCE = scoring.ReachTotals(0.0, 0, 0.0, 0, 0)
NO_EXTRA = scoring.FrameworkInputs()


def framework_inputs(claim: Claim) -> scoring.FrameworkInputs:
    """The inputs of the policy's framework other than RICE's, as stored."""
    return scoring.FrameworkInputs(
        ease=claim.ease,
        business_value=claim.business_value,
        time_criticality=claim.time_criticality,
        risk_reduction=claim.risk_reduction,
        job_size=claim.job_size,
    )


class Scorer:
    """Scores the claimed initiatives of one run (see the module's docstring)."""

    def __init__(
        self,
        *,
        now: datetime,
        policy: scoring.ScoringPolicy,
        links: dict[int, list[scoring.AlignmentLink]],
        folds: dict[int, list[scoring.PendingItem]],
        aggregated: Callable[[int], bool],
    ):
        self.now = now
        self.policy = policy
        self.links = links
        self.folds = folds  # pending items by initiative, to fold into its kept sums
        self.aggregated = aggregated  # whether an initiative's totals come from the aggregate
        self.now_seconds = now.timestamp()
        self.anchor = db_timestamp(now)  # where aggregated sums are kept from now on
        self.scores: dict[int, float] = {}
        self.failures: dict[int, str] = {}
        self.moved: dict[int, tuple[scoring.ScoreInputs, Claim]] = {}

    def score_all(
        self, claimed: list[Claim], rows: Iterable[ReachRow], add: Callable[[WriteRow], None]
    ) -> None:
        """Each claimed initiative as its aggregated totals arrive; those with none after.

        The rows come from several connections, in no overall order; a row
        of an initiative not claimed is skipped.
        """
        unscored = {claim.id: claim for claim in claimed}
        for totals in rows:
            claim = unscored.pop(totals.initiative_id, None)
            if claim is not None and (row := self.row(claim, totals)) is not None:
                add(row)
        for claim in unscored.values():
            if (row := self.row(claim, None)) is not None:
                add(row)

    def row(self, claim: Claim, aggregated: ReachRow | None) -> WriteRow | None:
        """`claim`'s row of the write, or None: nothing new."""
        # One initiative that cannot be scored must not cost the others theirs.
        try:
            return self._row(claim, aggregated)
        except Exception as exc:
            self.failures[claim.id] = describe(exc)
            return quarantined_row(claim)

    def _row(self, claim: Claim, aggregated: ReachRow | None) -> WriteRow | None:
        now, policy = self.now, self.policy
        anchor_totals = delta = None  # sums to keep anew, or to add to the kept ones
        if self.aggregated(claim.id):
            totals = NO_EVIDENCE if aggregated is None else aggregated
            if not same_sums(claim, totals, self.now_seconds, policy):
                anchor_totals = totals
        elif (items := self.folds.get(claim.id)) is not None:
            kept = stored_sums(claim)
            delta = scoring.fold(kept, items, now, policy)
            totals = scoring.reach_at(scoring.reach_added(kept, delta), now)
        else:
            factor = kept_factor(claim, self.now_seconds)
            totals = scoring.ReachTotals(
                claim.weighted * factor,
                claim.customers,
                claim.anonymous * factor,
                claim.anonymous_items,
                claim.items,
            )
        source, manual_reach = claim.reach_source, float(claim.manual_reach)
        inputs = scoring.ScoreInputs(
            reach_source=source,
            manual_reach=manual_reach,
            impact=float(claim.impact),
            confidence=float(claim.confidence),
            effort=float(claim.effort),
            evidence=scoring.reach_from_totals(
                from_customers=totals.from_customers,
                customers=totals.customers,
                anonymous=totals.anonymous,
                anonymous_items=totals.anonymous_items,
                policy=policy,
            )
            if source == "evidence"
            else None,
            links=tuple(self.links.get(claim.id, ())),
            extra=framework_inputs(claim) if policy.framework != "rice" else NO_EXTRA,
            experiment=bool(claim.experiment),
        )
        result = scoring.score(inputs, policy=policy)
        moved = claim.never_scored or changed(result.priority_score, float(claim.priority_score))
        if moved and not claim.never_scored:
            self.moved[claim.id] = (inputs, claim)  # for the causes' shares (rescore.shares)
        rescored = (
            moved
            or totals.items != claim.evidence_count
            or (source == "evidence" and changed(result.reach, manual_reach))
            # inputs or alignments changed without moving the score: the
            # breakdown must still tell the truth
            or claim.trigger == "edit"
        )
        if not (rescored or claim.marked or anchor_totals is not None or delta is not None):
            # Nothing new (a full rescore claims rows no mark asked for):
            # written only if its rank moves near the top, as a row not claimed.
            return None
        row = WriteRow(
            claim.id, mark_version=claim.mark_version, moved=moved, trigger=claim.trigger
        )
        if anchor_totals is not None:
            # Kept from now on as anchored at this run's now (the factor there is 1).
            row.anchored = True
            row.reach_anchor = self.anchor
            row.reach_half_life = policy.half_life_days
            row.reach_weighted = anchor_totals.from_customers
            row.reach_anonymous = anchor_totals.anonymous
            row.reach_customers = anchor_totals.customers
            row.reach_anonymous_items = anchor_totals.anonymous_items
            row.reach_items = anchor_totals.items
            set_sums(row, getattr(anchor_totals, "sets", scoring.NO_SETS))
        elif delta is not None:
            # The pending items' terms, added to the stored sums by the write.
            row.folded = True
            row.reach_weighted = delta.weighted
            row.reach_anonymous = delta.anonymous
            row.reach_customers = delta.customers
            row.reach_anonymous_items = delta.anonymous_items
            row.reach_items = delta.items
            set_sums(row, delta.sets)
        if rescored:
            row.rice_score = result.rice_score
            row.alignment_score = result.alignment_score
            row.priority_score = result.priority_score
            row.breakdown = result.breakdown
            row.evidence_count = totals.items
            row.reach = result.reach
            self.scores[claim.id] = result.priority_score
        return row


def changed(new: float, old: float) -> bool:
    """Whether a score moved: more than in its seventh digit.

    Evidence decays continuously, so a rescore seconds later moves every
    evidence-backed score in the seventh digit; that is not a change anyone
    should see as a snapshot or a webhook.
    """
    return abs(new - old) > 1e-6 * max(1.0, abs(old))


def quarantined_row(claim: Claim) -> WriteRow:
    """The write of an initiative that failed to score: its mark cleared, its sums forgotten.

    Its scores and rank stay as stored. Forgetting the sums (anchor NULL) has
    the next run aggregate its evidence afresh, so pending items this run
    drops are still counted.
    """
    row = WriteRow(
        claim.id,
        mark_version=claim.mark_version,
        anchored=True,
        reach_weighted=0,
        reach_anonymous=0,
        reach_customers=0,
        reach_anonymous_items=0,
        reach_items=0,
        trigger=claim.trigger,
    )
    set_sums(row, scoring.NO_SETS)
    return row


def stored_sums(claim: Claim) -> scoring.AnchoredReach:
    """`claim`'s kept sums (the anchor read as epoch seconds on PostgreSQL)."""
    anchor = claim.anchor
    anchor = (
        datetime.fromtimestamp(anchor, UTC) if isinstance(anchor, float) else as_datetime(anchor)
    )
    return scoring.AnchoredReach(
        anchor,
        claim.half_life,
        claim.weighted,
        claim.anonymous,
        claim.customers,
        claim.anonymous_items,
        claim.items,
    )


def kept_factor(claim: Claim, now_seconds: float) -> float:
    """What `claim`'s kept sums are multiplied by at `now_seconds` (epoch): `scoring.reach_at`.

    On floats: building its datetimes and dataclass for each of 10,000
    initiatives costs a few microseconds apiece.
    """
    anchor = claim.anchor
    anchor = anchor if isinstance(anchor, float) else as_datetime(anchor).timestamp()
    return scoring.anchored_factor(now_seconds - anchor, claim.half_life)


def same_sums(
    claim: Claim,
    totals: scoring.ReachTotals | ReachRow,
    now_seconds: float,
    policy: scoring.ScoringPolicy,
) -> bool:
    """Whether aggregated `totals` are what `claim`'s kept sums already say at `now_seconds`.

    Then the run need not keep them anew (nor write the row for it): a full
    rescore aggregates every initiative, and most totals it finds are the
    kept ones, decayed.
    """
    if claim.anchor is None or claim.half_life != policy.half_life_days:
        return False
    if totals is NO_EVIDENCE:
        kept = (
            claim.weighted,
            claim.anonymous,
            claim.customers,
            claim.anonymous_items,
            claim.items,
        )
        return not any(kept)
    if (claim.customers, claim.anonymous_items, claim.items) != (
        totals.customers,
        totals.anonymous_items,
        totals.items,
    ):
        return False
    factor = kept_factor(claim, now_seconds)
    return math.isclose(
        claim.weighted * factor, totals.from_customers, rel_tol=1e-9, abs_tol=1e-12
    ) and math.isclose(claim.anonymous * factor, totals.anonymous, rel_tol=1e-9, abs_tol=1e-12)
