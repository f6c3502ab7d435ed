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


def initiative_has_significant_sql(initiative_id: str) -> str:
    """SQL: whether initiative `initiative_id` (a column) has a significant positive experiment.

    `significant` in SQL, over the experiments of one initiative (the partial
    index evidence_experiments finds them). Fixed text, no parameters.
    """
    return (
        "EXISTS (SELECT 1 FROM roadmap_evidence x"  # noqa: S608 - fixed text
        f" WHERE x.initiative_id = {initiative_id} AND x.source = 'experiment'"
        " AND (x.experiment_ci_low > 0"
        f" OR (x.experiment_p_value < {SIGNIFICANCE} AND x.experiment_lift > 0)))"
    )
