"""Keeps stored progress in step with the history (called by the services, in their transaction).

Two rules, the maths of both in okrs.progress:

- A key result's `current` is the value observed last across its metric's
  readings and its own check-ins (`newest_value`); a late arrival about an
  earlier moment joins the history and changes nothing. Its `confidence` is
  that of its newest check-in.
- An objective's `progress` rolls up its own key results and its child
  objectives that are not cancelled (`objective_rollup`). When an objective's
  progress changes, its parent is recomputed, and so on up the tree; the walk
  stops at an objective already visited, so even a cycle slipped past
  `Objective.clean` (which refuses them) cannot loop.

Objective progress does not feed any priority: alignment scores read key
results' progress (an initiative is aligned to a key result, not to an
objective), so a roll-up marks nothing for a rescore.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F, OuterRef, Subquery

from . import progress as progress_math
from .models import CheckIn, KeyResult, MetricReading, Objective


def _reading_value(reading: MetricReading | None) -> progress_math.TimedValue | None:
    if reading is None:
        return None
    return progress_math.TimedValue(
        reading.value, reading.observed_at, reading.created_at, "reading"
    )


def _check_in_value(check_in: CheckIn | None) -> progress_math.TimedValue | None:
    if check_in is None:
        return None
    return progress_math.TimedValue(
        check_in.value, check_in.checked_at, check_in.created_at, "check-in"
    )


def latest_reading(metric_id: int | None) -> MetricReading | None:
    if metric_id is None:
        return None
    return MetricReading.objects.filter(metric_id=metric_id).order_by("-observed_at", "-id").first()


def latest_check_in(key_result_id: int) -> CheckIn | None:
    return (
        CheckIn.objects.filter(key_result_id=key_result_id).order_by("-checked_at", "-id").first()
    )


def _apply(kr: KeyResult, value: float | None, confidence: str | None) -> bool:
    """Set current (and confidence) on a locked key result; save it if it moved."""
    fields = []
    if value is not None and value != kr.current:
        kr.current = value
        kr.progress = progress_math.key_result_progress(kr.values()).value
        fields += ["current", "progress"]
    if confidence and confidence != kr.confidence:
        kr.confidence = confidence
        fields.append("confidence")
    if not fields:
        return False
    kr.version = F("version") + 1
    kr.save(update_fields=[*fields, "version", "updated_at"])
    kr.refresh_from_db(fields=["version"])
    return "current" in fields


def key_result_settle(kr: KeyResult) -> bool:
    """Give a locked key result the newest value of its history; True if `current` moved."""
    newest_check_in = latest_check_in(kr.pk)
    newest = progress_math.newest_value(
        [_reading_value(latest_reading(kr.metric_id)), _check_in_value(newest_check_in)]
    )
    return _apply(
        kr,
        newest.value if newest else None,
        newest_check_in.confidence if newest_check_in else None,
    )


def metric_settle(metric_id: int) -> tuple[list[int], set[int]]:
    """After readings arrive: each key result tracking the metric takes the newest value.

    Locks the tracking key results; returns the ids of those whose `current`
    moved and the objectives of all of them. Three queries for any number of
    key results: the latest reading, the key results with their newest
    check-in, one update per key result that moved.
    """
    reading = _reading_value(latest_reading(metric_id))
    newest = CheckIn.objects.filter(key_result=OuterRef("pk")).order_by("-checked_at", "-id")
    tracking = list(
        KeyResult.objects.select_for_update()
        .filter(metric_id=metric_id)
        .annotate(
            check_in_value=Subquery(newest.values("value")[:1]),
            check_in_at=Subquery(newest.values("checked_at")[:1]),
            check_in_recorded=Subquery(newest.values("created_at")[:1]),
        )
    )
    moved = []
    for kr in tracking:
        check_in = None
        if kr.check_in_at is not None:
            check_in = progress_math.TimedValue(
                kr.check_in_value, kr.check_in_at, kr.check_in_recorded, "check-in"
            )
        value = progress_math.newest_value([reading, check_in])
        if value is not None and _apply(kr, value.value, None):
            moved.append(kr.pk)
    return moved, {kr.objective_id for kr in tracking}


def _recompute_one(objective_id: int) -> tuple[bool, int | None]:
    """Recompute one objective's stored progress; (whether it changed, its parent's id)."""
    row = Objective.objects.filter(pk=objective_id).values("progress", "parent_id").first()
    if row is None:
        return False, None
    own = [
        progress_math.WeightedProgress(progress, weight)
        for progress, weight in KeyResult.objects.filter(objective_id=objective_id).values_list(
            "progress", "weight"
        )
    ]
    children = [
        progress_math.WeightedProgress(progress, weight)
        for progress, weight in Objective.objects.filter(parent_id=objective_id)
        .exclude(status=Objective.Status.CANCELLED)
        .values_list("progress", "rollup_weight")
    ]
    value = progress_math.objective_rollup(own, children)
    if value == row["progress"]:
        return False, row["parent_id"]
    Objective.objects.filter(pk=objective_id).update(progress=value)
    return True, row["parent_id"]


def objective_recompute_progress(*, objective_ids: Iterable[int | None]) -> None:
    """Recompute these objectives and, while their progress changes, their ancestors.

    Pass the objectives whose key results or children changed (for a moved,
    re-weighted or cancelled child: its parent, old and new).
    """
    for start in sorted({oid for oid in objective_ids if oid is not None}):
        seen: set[int] = set()
        objective_id: int | None = start
        while objective_id is not None and objective_id not in seen:
            seen.add(objective_id)
            changed, parent_id = _recompute_one(objective_id)
            if not changed:
                break
            objective_id = parent_id
