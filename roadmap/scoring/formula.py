"""RICE, alignment and the priority score of one initiative, with its breakdown."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from .frameworks import FORMULAS, NO_FRAMEWORK_INPUTS, FrameworkInputs, framework_score
from .policy import DEFAULT_POLICY, FRAMEWORKS, IMPACT_SCALE, ScoringError, ScoringPolicy
from .reach import ReachResult

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


# --- Alignment ---------------------------------------------------------------


# Compared by identity: the rescore shares one link per key result and
# contribution, and `_term_for` caches on it. Compared by value, every lookup
# would hash and compare all seven fields (~0.1 s a full run).
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


def weighted_priority(
    base: float, alignment_score: float, aligned: bool, policy: ScoringPolicy
) -> float:
    """The framework's score times the policy's alignment multiplier.

    Aligned: base x (1 + alignment weight x alignment); aligned to nothing:
    base x the unaligned factor. The default policy (weight 1, factor 1) is
    `priority` exactly.
    """
    if not aligned:
        return base * policy.unaligned_factor
    return base * (1.0 + policy.alignment_weight * alignment_score)


def policy_formula(policy: ScoringPolicy) -> str:
    """How `policy` computes a priority, as a reader sees it (the breakdown's `formula`)."""
    base = FORMULAS.get(policy.framework, policy.formula)
    if policy.alignment_weight == 1.0:
        multiplier = "(1 + alignment)"
    else:
        multiplier = f"(1 + {policy.alignment_weight:g} x alignment)"
    return f"priority = {base} x {multiplier}"


def policy_description(policy: ScoringPolicy) -> str:
    """`policy_formula`, and what work aligned to nothing is multiplied by when not 1."""
    formula = policy_formula(policy)
    if policy.unaligned_factor == 1.0:
        return formula
    return f"{formula}; work aligned to nothing: score x {policy.unaligned_factor:g}"


def score_label(framework: str) -> str:
    """The name of a framework's score before alignment: RICE, ICE, WSJF, or Score (custom)."""
    return "Score" if framework == "custom" else FRAMEWORKS.get(framework, "RICE")


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
    extra: FrameworkInputs = NO_FRAMEWORK_INPUTS  # ease, WSJF inputs
    experiment: bool = False  # a linked experiment shows a significant positive result


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
    confidence: float = 0.0  # as scored: raised by an experiment when the policy says so
    framework: object = field(default=None, repr=False, compare=False)  # FrameworkScore, not RICE

    @cached_property
    def breakdown(self) -> dict:
        """Each factor and where it came from, built on first use.

        A full rescore scores 10,000 initiatives and writes the breakdown of
        those whose score moved; building the other ~5,000 would be a third of
        the run's scoring.
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
        confidence = {"value": self.confidence, "unit": "percent"}
        if self.confidence != inputs.confidence:
            confidence["entered"] = inputs.confidence
            confidence["explanation"] = (
                f"raised from {inputs.confidence:g}% to {self.confidence:g}%: a linked"
                " experiment shows a significant positive result"
            )
        breakdown = {
            "formula": policy_formula(policy),
            "framework": policy.framework,
            "framework_label": FRAMEWORKS.get(policy.framework, policy.framework),
            "reach": reach_factor,
            "impact": {"value": inputs.impact, "label": IMPACT_SCALE[inputs.impact]},
            "confidence": confidence,
            "effort": {"value": inputs.effort, "unit": "person-months"},
            "rice": round(self.rice_score, 4),
            "alignment": {
                "value": round(self.alignment_score, 4),
                "terms": [dict(rounded) for _, rounded in self.terms],
                "unaligned": not self.terms,
                "weight": policy.alignment_weight,
                "unaligned_factor": policy.unaligned_factor,
            },
            "priority": round(self.priority_score, 4),
            "policy": {
                "half_life_days": policy.half_life_days,
                "alignment_floor": policy.alignment_floor,
            },
        }
        if self.framework is not None:
            explained = framework_score(
                policy.framework,
                policy.formula,
                reach=self.reach,
                impact=inputs.impact,
                confidence=self.confidence,
                effort=inputs.effort,
                alignment=self.alignment_score,
                extra=inputs.extra,
            )
            breakdown["factors"] = [dict(f) for f in explained.factors]
            breakdown["missing"] = list(explained.missing)
            if policy.framework == "custom":
                breakdown["custom_formula"] = policy.formula
        return breakdown


def score(inputs: ScoreInputs, *, policy: ScoringPolicy = DEFAULT_POLICY) -> Score:
    """Score one initiative under `policy`; its `breakdown` explains it.

    `rice_score` is the framework's score before alignment (RICE by default).
    """
    reach, confidence, terms, alignment_score, base, framework = _parts(inputs, policy)
    priority_score = _checked(
        weighted_priority(base, alignment_score, bool(terms), policy), reach, base, alignment_score
    )
    return Score(
        reach=reach,
        rice_score=base,
        alignment_score=alignment_score,
        priority_score=priority_score,
        unaligned=not terms,
        inputs=inputs,
        policy=policy,
        terms=terms,
        confidence=confidence,
        framework=framework,
    )


def priority_of(inputs: ScoreInputs, *, policy: ScoringPolicy = DEFAULT_POLICY) -> float:
    """`score(inputs, policy=policy).priority_score`, without the Score: for previews."""
    reach, _, terms, alignment_score, base, _ = _parts(inputs, policy)
    return _checked(
        weighted_priority(base, alignment_score, bool(terms), policy), reach, base, alignment_score
    )


def _parts(inputs: ScoreInputs, policy: ScoringPolicy) -> tuple:
    """(reach, confidence as scored, terms, alignment, base score, its FrameworkScore)."""
    if inputs.reach_source == "evidence":
        reach = inputs.evidence.value if inputs.evidence else 0.0
    else:
        reach = inputs.manual_reach
    confidence = inputs.confidence
    if inputs.experiment and policy.experiment_confidence is not None:
        confidence = max(confidence, policy.experiment_confidence)
    terms = tuple(_term(link, policy) for link in inputs.links)
    alignment_score = sum(term["value"] for term, _ in terms)
    framework = None
    if policy.framework == "rice":
        base = rice(RiceInputs(reach, inputs.impact, confidence, inputs.effort))
    else:
        validate_rice_inputs(RiceInputs(reach, inputs.impact, confidence, inputs.effort))
        framework = framework_score(
            policy.framework,
            policy.formula,
            reach=reach,
            impact=inputs.impact,
            confidence=confidence,
            effort=inputs.effort,
            alignment=alignment_score,
            extra=inputs.extra,
            explain=False,
        )
        base = framework.value
    return reach, confidence, terms, alignment_score, base, framework


def _checked(priority_score: float, reach: float, base: float, alignment_score: float) -> float:
    if not math.isfinite(priority_score) or not math.isfinite(reach):
        # Bounded inputs cannot get here (see bounds/); a stored value from
        # before the bounds can. A score is a number or it is not written.
        raise ScoringError(
            f"the score is not a finite number (reach {reach!r}, score {base!r},"
            f" alignment {alignment_score!r})"
        )
    return priority_score
