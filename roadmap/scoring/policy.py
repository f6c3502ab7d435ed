"""The constants of the priority formula, and the team's scoring policy (see roadmap.scoring)."""

from __future__ import annotations

from dataclasses import dataclass, field

IMPACT_SCALE: dict[float, str] = {
    0.25: "minimal",
    0.5: "low",
    1.0: "medium",
    2.0: "high",
    3.0: "massive",
}
CONTRIBUTION_WEIGHTS: dict[str, float] = {"strong": 1.0, "medium": 0.5, "weak": 0.25}
FRAMEWORKS: dict[str, str] = {
    "rice": "RICE",
    "ice": "ICE",
    "wsjf": "WSJF",
    "custom": "Custom formula",
}
IMPORTANCES = ("nice_to_have", "important", "critical")
# An evidence item counts times its importance's weight; all 1: importance counts for nothing.
NEUTRAL_IMPORTANCE: dict[str, float] = dict.fromkeys(IMPORTANCES, 1.0)


@dataclass(frozen=True)
class ScoringPolicy:
    """The constants of the priority formula, in one place (docs/SCORING.md).

    half_life_days: evidence loses half its weight every this many days (90).
    alignment_floor: added to each key result's gap so work on a key result
        that is already met still counts a little (0.2).
    default_segment_weight: weight of a customer with no segment (1).
    contribution_weights: strong 1.0, medium 0.5, weak 0.25.
    framework: "rice" (default), "ice", "wsjf" or "custom" (`formula`).
    formula: the custom framework's expression (`expression.parse`).
    alignment_weight: priority = score x (1 + alignment_weight x alignment);
        1 as the formula always was, 0 turns alignment off.
    unaligned_factor: what work aligned to nothing is multiplied by (1: as
        aligned work with alignment 0; 0.5: "strategy first").
    importance_weights: what an evidence item's importance multiplies it by.
    revenue_weight: 0 (off), or how much a customer's annual revenue adds to
        its weight (`reach.revenue_factor`).
    experiment_confidence: None (off), or the confidence (percent) an
        initiative is raised to when a linked experiment shows a significant
        positive result (`experiments.significant`).
    """

    half_life_days: float = 90.0
    alignment_floor: float = 0.2
    default_segment_weight: float = 1.0
    contribution_weights: dict[str, float] = field(
        default_factory=lambda: dict(CONTRIBUTION_WEIGHTS)
    )
    framework: str = "rice"
    formula: str = ""
    alignment_weight: float = 1.0
    unaligned_factor: float = 1.0
    importance_weights: dict[str, float] = field(default_factory=lambda: dict(NEUTRAL_IMPORTANCE))
    revenue_weight: float = 0.0
    experiment_confidence: float | None = None

    @property
    def weighs_importance(self) -> bool:
        return any(self.importance_weights.get(i, 1.0) != 1.0 for i in IMPORTANCES)

    @property
    def weighs_evidence(self) -> bool:
        """Whether evidence counts by more than segment and age (importance or revenue)."""
        return self.weighs_importance or self.revenue_weight != 0

    def importance_weight(self, importance: str | None) -> float:
        return self.importance_weights.get(importance or "important", 1.0)

    def evidence_terms(self) -> tuple:
        """What kept evidence sums depend on: sums kept under other terms are stale."""
        return (
            self.half_life_days,
            self.default_segment_weight,
            tuple(self.importance_weight(i) for i in IMPORTANCES),
            self.revenue_weight,
        )


DEFAULT_POLICY = ScoringPolicy()


class ScoringError(ValueError):
    pass
