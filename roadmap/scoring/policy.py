"""The constants of the priority formula (see roadmap.scoring)."""

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
