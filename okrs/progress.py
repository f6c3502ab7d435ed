"""Key-result and objective progress: pure maths, no Django.

Progress is a fraction in [0, 1]. Each function returns the number together
with a breakdown that says how it was reached, so the UI and the API can show
a leader the working, not only the answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

INCREASE = "increase"
DECREASE = "decrease"
MAINTAIN = "maintain"
MILESTONE = "milestone"
KINDS = (INCREASE, DECREASE, MAINTAIN, MILESTONE)


@dataclass(frozen=True)
class KeyResultValues:
    kind: str
    start: float
    target: float
    current: float


@dataclass(frozen=True)
class Progress:
    value: float
    explanation: str


def _clamp(x: float) -> float:
    return max(0.0, min(1.0, x))


def key_result_progress(kr: KeyResultValues) -> Progress:
    """Progress of one key result.

    - increase / decrease: (current - start) / (target - start), clamped to
      [0, 1]. The sign of (target - start) carries the direction, so the same
      formula serves "raise NPS from 30 to 50" and "cut churn from 4% to 2%".
      When target == start there is no distance to cover: the key result is
      done once current is at or past the target in its direction.
    - maintain: 1 while the value holds the line (is on the same side of the
      target as the start, or on it), else 0. With start == target the line
      is "at least target".
    - milestone: 1 once current reaches target (target is usually 1), else 0.
    """
    if kr.kind not in KINDS:
        raise ValueError(f"unknown key result kind {kr.kind!r}")
    if kr.kind == MILESTONE:
        done = kr.current >= kr.target
        return Progress(1.0 if done else 0.0, "milestone reached" if done else "milestone open")
    if kr.kind == MAINTAIN:
        if kr.start < kr.target:
            holds = kr.current <= kr.target
            rule = f"stay at or below {kr.target:g}"
        else:
            holds = kr.current >= kr.target
            rule = f"stay at or above {kr.target:g}"
        return Progress(1.0 if holds else 0.0, f"{rule}: {'holding' if holds else 'broken'}")
    distance = kr.target - kr.start
    if distance == 0:
        done = kr.current >= kr.target if kr.kind == INCREASE else kr.current <= kr.target
        return Progress(1.0 if done else 0.0, "target equals start")
    raw = (kr.current - kr.start) / distance
    value = _clamp(raw)
    return Progress(
        value,
        f"({kr.current:g} - {kr.start:g}) / ({kr.target:g} - {kr.start:g}) = {raw:.2f}"
        + (" clamped" if value != raw else ""),
    )


@dataclass(frozen=True)
class WeightedProgress:
    progress: float
    weight: float


def objective_progress(key_results: Iterable[WeightedProgress]) -> float:
    """Weighted mean of the key results' progress; 0 for an objective with none."""
    items = list(key_results)
    total_weight = sum(kr.weight for kr in items)
    if total_weight <= 0:
        return 0.0
    return sum(kr.progress * kr.weight for kr in items) / total_weight


def objective_rollup(
    key_results: Iterable[WeightedProgress], children: Iterable[WeightedProgress]
) -> float:
    """An objective's progress with its child objectives rolled up.

    The weighted mean over its own key results (each with its key-result
    weight) and its child objectives (each with its roll-up weight, 1 unless
    set): a child counts as much as one key result of weight 1. 0 when there
    is nothing to measure. The caller leaves cancelled children out.
    """
    return _clamp(objective_progress([*key_results, *children]))


@dataclass(frozen=True)
class TimedValue:
    """A value a key result was given, when it was true, and when it was recorded."""

    value: float
    at: datetime
    recorded_at: datetime
    source: str  # "reading" or "check-in"


def newest_value(candidates: Iterable[TimedValue | None]) -> TimedValue | None:
    """The value a key result holds now: the one observed last.

    Ordered by `at` (a reading's observed_at, a check-in's checked_at), then by
    when it was recorded, so a late arrival about an earlier moment joins the
    history without overwriting a newer value.
    """
    present = [c for c in candidates if c is not None]
    if not present:
        return None
    return max(present, key=lambda c: (c.at, c.recorded_at))
