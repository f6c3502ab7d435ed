"""Priority maths: pure functions over small frozen dataclasses, no Django.

    RICE      = reach x impact x (confidence / 100) / effort
    alignment = sum over aligned key results of
                contribution x objective weight x (floor + (1 - KR progress))
    priority  = RICE x (1 + alignment)

Reach is typed in by hand or derived from evidence (see `evidence_reach`).
Every result carries a breakdown: each factor and where it came from. The
same breakdown is stored on the initiative and served by the UI and the API,
so "why is this #3" never needs a recomputation.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property, lru_cache

IMPACT_SCALE: dict[float, str] = {
    0.25: "minimal",
    0.5: "low",
    1.0: "medium",
    2.0: "high",
    3.0: "massive",
}
CONTRIBUTION_WEIGHTS: dict[str, float] = {"strong": 1.0, "medium": 0.5, "weak": 0.25}


@dataclass(frozen=True)
class ScoringPolicy:
    """The constants of the priority formula, in one place.

    half_life_days: evidence loses half its weight every this many days (90).
    alignment_floor: added to each key result's gap so work on a key result
        that is already met still counts a little (0.2).
    default_segment_weight: weight of a customer with no segment (1).
    contribution_weights: strong 1.0, medium 0.5, weak 0.25.
    """

    half_life_days: float = 90.0
    alignment_floor: float = 0.2
    default_segment_weight: float = 1.0
    contribution_weights: dict[str, float] = field(
        default_factory=lambda: dict(CONTRIBUTION_WEIGHTS)
    )


DEFAULT_POLICY = ScoringPolicy()


class ScoringError(ValueError):
    pass


# --- RICE --------------------------------------------------------------------


@dataclass(frozen=True)
class RiceInputs:
    reach: float
    impact: float
    confidence: float
    effort: float


def validate_rice_inputs(inputs: RiceInputs) -> None:
    if inputs.reach < 0:
        raise ScoringError("reach must be zero or more")
    if inputs.impact not in IMPACT_SCALE:
        raise ScoringError("impact must be one of 0.25, 0.5, 1, 2, 3")
    if not 0 < inputs.confidence <= 100:
        raise ScoringError("confidence must be more than 0 and at most 100")
    if inputs.effort <= 0:
        raise ScoringError("effort must be more than 0")


def rice(inputs: RiceInputs) -> float:
    validate_rice_inputs(inputs)
    return inputs.reach * inputs.impact * (inputs.confidence / 100.0) / inputs.effort


# --- Reach from evidence -----------------------------------------------------


@dataclass(frozen=True)
class EvidenceSignal:
    """One linked evidence item, reduced to what reach needs."""

    received_at: datetime
    customer_id: int | None = None
    segment_weight: float | None = None  # None: the customer has no segment


@dataclass(frozen=True)
class ReachResult:
    """Reach from evidence, and the sums it came from (for its explanation).

    The explanation is worded when asked for: a full rescore derives 10,000
    reaches and explains only those whose score it writes.
    """

    value: float
    customers: int
    anonymous_items: int
    from_customers: float = 0.0  # segment-weighted, decayed
    anonymous: float = 0.0  # decayed items without a customer
    half_life_days: float = ScoringPolicy.half_life_days
    note: str | None = None  # says it instead of the sums (no evidence at all)

    @property
    def explanation(self) -> str:
        if self.note is not None:
            return self.note
        return (
            f"{self.customers} customers (segment-weighted, decayed: {self.from_customers:.2f})"
            f" + {self.anonymous_items} items without a customer ({self.anonymous:.2f});"
            f" half-life {self.half_life_days:g} days"
        )


def decay(age_days: float, half_life_days: float) -> float:
    """Weight of evidence that is `age_days` old: 1 today, halving every half-life.

    Evidence dated in the future counts as today's.
    """
    return math.pow(0.5, max(age_days, 0.0) / half_life_days)


def evidence_reach(
    signals: Iterable[EvidenceSignal], *, now: datetime, policy: ScoringPolicy = DEFAULT_POLICY
) -> ReachResult:
    """Reach derived from evidence.

    Each customer counts once, weighted by its segment's weight (the default
    weight when it has none) and by the age of its newest evidence. Evidence
    without a customer counts once per item, decayed by its own age.
    """
    newest: dict[int, EvidenceSignal] = {}
    anonymous = 0.0
    anonymous_items = 0
    for s in signals:
        if s.customer_id is None:
            anonymous += decay((now - s.received_at).total_seconds() / 86400, policy.half_life_days)
            anonymous_items += 1
            continue
        seen = newest.get(s.customer_id)
        if seen is None or s.received_at > seen.received_at:
            newest[s.customer_id] = s
    from_customers = 0.0
    for s in newest.values():
        weight = policy.default_segment_weight if s.segment_weight is None else s.segment_weight
        age = (now - s.received_at).total_seconds() / 86400
        from_customers += weight * decay(age, policy.half_life_days)
    return reach_from_totals(
        from_customers=from_customers,
        customers=len(newest),
        anonymous=anonymous,
        anonymous_items=anonymous_items,
        policy=policy,
    )


# --- Reach kept up to date by deltas ------------------------------------------
#
# decay(now - t) = 2 ** ((t - A) / h) * 2 ** (-(now - A) / h) for any anchor A,
# so the decayed sums can be kept as sums of 2 ** ((t - A) / h) ("at the
# anchor") and brought to any later `now` with one factor. New evidence then
# adds a term instead of re-reading every item of its initiative.


@dataclass(frozen=True)
class AnchoredReach:
    """An initiative's evidence sums at `anchor` (see `reach_at`)."""

    anchor: datetime
    half_life_days: float
    weighted: float  # sum over customers: segment weight x 2 ** ((newest - anchor) / h)
    anonymous: float  # sum over items without a customer: 2 ** ((t - anchor) / h)
    customers: int
    anonymous_items: int
    items: int


def anchored_term(received_at: datetime, anchor: datetime, half_life_days: float) -> float:
    """One item's weight at the anchor: 2 ** ((received_at - anchor) / half-life)."""
    return math.pow(2.0, (received_at - anchor).total_seconds() / 86400 / half_life_days)


def reach_delta(
    sums: AnchoredReach,
    new: Iterable[EvidenceSignal],
    newest: dict[int, datetime],
    *,
    policy: ScoringPolicy = DEFAULT_POLICY,
) -> AnchoredReach:
    """What adding the `new` evidence items adds to `sums` (same anchor and half-life).

    `newest` holds each customer's newest item so far (None: none yet) and is
    updated in place. A customer counts once, at its newest item: a newer item
    swaps its term, an older one adds nothing but the item count.
    """
    anchor, half_life = sums.anchor, sums.half_life_days
    weighted = anonymous = 0.0
    customers = anonymous_items = items = 0
    for s in new:
        items += 1
        term = anchored_term(s.received_at, anchor, half_life)
        if s.customer_id is None:
            anonymous += term
            anonymous_items += 1
            continue
        weight = policy.default_segment_weight if s.segment_weight is None else s.segment_weight
        before = newest.get(s.customer_id)
        if before is None:
            weighted += weight * term
            customers += 1
        elif s.received_at > before:
            weighted += weight * (term - anchored_term(before, anchor, half_life))
        else:
            continue
        newest[s.customer_id] = s.received_at
    return AnchoredReach(anchor, half_life, weighted, anonymous, customers, anonymous_items, items)


def reach_added(sums: AnchoredReach, delta: AnchoredReach) -> AnchoredReach:
    """`sums` with `delta` (from `reach_delta` on the same sums) added."""
    return AnchoredReach(
        sums.anchor,
        sums.half_life_days,
        sums.weighted + delta.weighted,
        sums.anonymous + delta.anonymous,
        sums.customers + delta.customers,
        sums.anonymous_items + delta.anonymous_items,
        sums.items + delta.items,
    )


def anchored_factor(elapsed_seconds: float, half_life_days: float) -> float:
    """What sums at an anchor are multiplied by, `elapsed_seconds` after it."""
    return math.pow(0.5, elapsed_seconds / 86400 / half_life_days)


def reach_at(sums: AnchoredReach, now: datetime) -> tuple[float, int, float, int, int]:
    """(decayed customers, customers, decayed anonymous, anonymous items, items) at `now`.

    The same totals the SQL aggregate takes from the evidence, for evidence
    dated no later than `now`.
    """
    factor = anchored_factor((now - sums.anchor).total_seconds(), sums.half_life_days)
    return (
        sums.weighted * factor,
        sums.customers,
        sums.anonymous * factor,
        sums.anonymous_items,
        sums.items,
    )


def reach_from_totals(
    *,
    from_customers: float,
    customers: int,
    anonymous: float,
    anonymous_items: int,
    policy: ScoringPolicy = DEFAULT_POLICY,
) -> ReachResult:
    """Assemble a ReachResult from sums already taken (in SQL, for the bulk rescore)."""
    return ReachResult(
        value=from_customers + anonymous,
        customers=customers,
        anonymous_items=anonymous_items,
        from_customers=from_customers,
        anonymous=anonymous,
        half_life_days=policy.half_life_days,
    )


# --- Alignment ---------------------------------------------------------------


# Compared by identity: the rescore shares one link per key result and
# contribution, and `_term_for` caches on it. Equal-valued links of an earlier
# run made every lookup hash and compare all seven fields (~0.1 s a full run).
@dataclass(frozen=True, eq=False)
class AlignmentLink:
    key_result_id: int
    key_result: str
    objective_id: int
    objective: str
    contribution: str
    objective_weight: float
    progress: float


def alignment_terms(
    links: Iterable[AlignmentLink], *, policy: ScoringPolicy = DEFAULT_POLICY
) -> list[dict]:
    """Each link's term: contribution x objective weight x (floor + gap), explained."""
    return [dict(_term(link, policy)[0]) for link in links]


def _term(link: AlignmentLink, policy: ScoringPolicy) -> tuple[dict, dict]:
    """(term, the same with its value rounded for the breakdown); callers copy them."""
    try:
        contribution = policy.contribution_weights[link.contribution]
    except KeyError:
        raise ScoringError(f"unknown contribution {link.contribution!r}") from None
    return _term_for(link, policy.alignment_floor, contribution)


@lru_cache(maxsize=4096)
def _term_for(link: AlignmentLink, floor: float, contribution: float) -> tuple[dict, dict]:
    # A key result's links are shared by every initiative aligned to it (the
    # rescore builds one AlignmentLink per key result and contribution), so a
    # full rescore computes a few hundred terms, not 20,000.
    progress = min(max(link.progress, 0.0), 1.0)
    gap = 1.0 - progress
    value = contribution * link.objective_weight * (floor + gap)
    term = {
        "key_result_id": link.key_result_id,
        "key_result": link.key_result,
        "objective_id": link.objective_id,
        "objective": link.objective,
        "contribution": link.contribution,
        "contribution_weight": contribution,
        "objective_weight": link.objective_weight,
        "progress": round(progress, 4),
        "gap": round(gap, 4),
        "floor": floor,
        "value": value,
    }
    return term, {**term, "value": round(value, 4)}


def alignment(links: Iterable[AlignmentLink], *, policy: ScoringPolicy = DEFAULT_POLICY) -> float:
    return sum(t["value"] for t in alignment_terms(links, policy=policy))


def priority(rice_score: float, alignment_score: float) -> float:
    return rice_score * (1.0 + alignment_score)


# --- Everything together -----------------------------------------------------


@dataclass(frozen=True)
class ScoreInputs:
    reach_source: str  # "manual" or "evidence"
    manual_reach: float
    impact: float
    confidence: float
    effort: float
    evidence: ReachResult | None = None
    links: tuple[AlignmentLink, ...] = ()


@dataclass(frozen=True)
class Score:
    reach: float
    rice_score: float
    alignment_score: float
    priority_score: float
    unaligned: bool
    inputs: ScoreInputs = field(repr=False, compare=False)
    policy: ScoringPolicy = field(repr=False, compare=False)
    # (term, rounded term) per link, as `_term` returns them
    terms: tuple[tuple[dict, dict], ...] = field(repr=False, compare=False)

    @cached_property
    def breakdown(self) -> dict:
        """Each factor and where it came from, built on first use.

        A full rescore scores 10,000 initiatives and writes the breakdown of
        those whose score moved; building the other ~5,000 was a third of the
        run's scoring.
        """
        inputs, policy = self.inputs, self.policy
        if inputs.reach_source == "evidence":
            result = inputs.evidence or ReachResult(0.0, 0, 0, note="no linked evidence")
            reach_factor = {
                "value": round(self.reach, 4),
                "source": "evidence",
                "customers": result.customers,
                "anonymous_items": result.anonymous_items,
                "explanation": result.explanation,
            }
        else:
            reach_factor = {"value": self.reach, "source": "manual", "explanation": "set by hand"}
        return {
            "formula": "priority = reach x impact x confidence / effort x (1 + alignment)",
            "reach": reach_factor,
            "impact": {"value": inputs.impact, "label": IMPACT_SCALE[inputs.impact]},
            "confidence": {"value": inputs.confidence, "unit": "percent"},
            "effort": {"value": inputs.effort, "unit": "person-months"},
            "rice": round(self.rice_score, 4),
            "alignment": {
                "value": round(self.alignment_score, 4),
                "terms": [dict(rounded) for _, rounded in self.terms],
                "unaligned": not self.terms,
            },
            "priority": round(self.priority_score, 4),
            "policy": {
                "half_life_days": policy.half_life_days,
                "alignment_floor": policy.alignment_floor,
            },
        }


def score(inputs: ScoreInputs, *, policy: ScoringPolicy = DEFAULT_POLICY) -> Score:
    """Score one initiative; its `breakdown` explains it."""
    if inputs.reach_source == "evidence":
        reach = inputs.evidence.value if inputs.evidence else 0.0
    else:
        reach = inputs.manual_reach
    rice_score = rice(RiceInputs(reach, inputs.impact, inputs.confidence, inputs.effort))
    terms = tuple(_term(link, policy) for link in inputs.links)
    alignment_score = sum(term["value"] for term, _ in terms)
    priority_score = priority(rice_score, alignment_score)
    if not math.isfinite(priority_score) or not math.isfinite(reach):
        # Bounded inputs cannot get here (see bounds/); a stored value from
        # before the bounds can. A score is a number or it is not written.
        raise ScoringError(
            f"the score is not a finite number (reach {reach!r}, RICE {rice_score!r},"
            f" alignment {alignment_score!r})"
        )
    return Score(
        reach=reach,
        rice_score=rice_score,
        alignment_score=alignment_score,
        priority_score=priority_score,
        unaligned=not terms,
        inputs=inputs,
        policy=policy,
        terms=terms,
    )
