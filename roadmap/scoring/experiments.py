"""When an experiment's result counts as evidence that the work pays off.

An experiment result (`ExperimentResult`) is significant and positive when

    p-value < SIGNIFICANCE (0.05) and lift > 0, or
    the lower bound of its confidence interval on the lift > 0.

A policy with `experiment_confidence` set raises the confidence of an
initiative with such a result to at least that percent (`formula.score`),
and its breakdown says so. Lift and the interval are in percent.
"""

from __future__ import annotations

from dataclasses import dataclass

SIGNIFICANCE = 0.05


@dataclass(frozen=True)
class ExperimentResult:
    metric: str = ""
    variant: str = ""
    lift: float | None = None  # percent, treatment over control
    ci_low: float | None = None  # percent
    ci_high: float | None = None  # percent
    p_value: float | None = None
    sample_size: int | None = None


def significant(result: ExperimentResult) -> bool:
    """Whether `result` is a significant positive result (the rule above)."""
    if result.ci_low is not None and result.ci_low > 0:
        return True
    return (
        result.p_value is not None
        and result.lift is not None
        and result.p_value < SIGNIFICANCE
        and result.lift > 0
    )
