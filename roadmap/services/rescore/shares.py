"""Part of phase 5, causes: each cause's share of the score change, where several arrive.

Input: the run's `SnapshotCauses`, the inputs the run scored each moved
initiative with and its claim (the score and reach before), the policy.
Output: the same causes, each with `share` (roadmap.scoring.attribution:
Shapley values over the causes, exact, summing to the change) where the
snapshot lists two or more and an exact attribution exists. A snapshot
with one cause gets its share when read (`ScoreSnapshot.listed_causes`).
Writes: nothing.
Cost: only the moved rows with several causes, at most 2 ** 8 scorings
each, in Python; a run of single causes (ingest, readings) pays a dict
lookup per moved row.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from roadmap import scoring
from roadmap.scoring import attribution

from .claim import Claim
from .score import changed, framework_inputs
from .write import SnapshotCauses

logger = logging.getLogger(__name__)
# Causes about the rank, not the score: no share.
NO_SHARE = {"rank_shift", "more"}
REACH_KINDS = {"evidence", "decay"}


def with_shares(
    listed: SnapshotCauses,
    moved: dict[int, tuple[scoring.ScoreInputs, Claim]],
    policy: scoring.ScoringPolicy,
) -> None:
    """Add `share` to the causes of each snapshot with several (in place)."""
    for iid, causes in listed.by_id.items():
        if len(causes) < 2 or iid not in moved:
            continue
        inputs, claim = moved[iid]
        inputs = replace(inputs, extra=framework_inputs(claim))
        previous_reach = float(claim.manual_reach)  # the stored reach: as last scored
        if _reach_moved_unnamed(inputs, previous_reach, causes):
            # Evidence aged since it was last scored: a cause of its own.
            causes = [*causes, {"kind": "decay"}]
        try:
            got = attribution.shares(
                causes,
                inputs,
                policy,
                previous_score=float(claim.priority_score),
                previous_reach=previous_reach,
            )
        except Exception:  # a share must never cost the run its write
            logger.exception("cause shares of initiative %s", iid)
            got = None
        if got is None:
            continue
        listed.by_id[iid] = [
            cause if cause.get("kind") in NO_SHARE else {**cause, "share": round(share, 4)}
            for cause, share in zip(causes, got, strict=True)
        ]


def _reach_moved_unnamed(inputs: scoring.ScoreInputs, previous: float, causes: list[dict]) -> bool:
    if inputs.reach_source != "evidence" or inputs.evidence is None:
        return False
    if not changed(inputs.evidence.value, previous):
        return False
    return not any(
        cause.get("kind") in REACH_KINDS
        or (
            cause.get("kind") == "policy"
            and cause.get("field") in attribution.EVIDENCE_POLICY_FIELDS
        )
        for cause in causes
    )
