"""Writes to objectives, key results, metrics and check-ins.

Each service validates, writes, keeps derived progress in step and, when key
results move, tells the listeners registered with `on_key_results_changed`
inside the same transaction. Roadmap depends on goals and never the reverse:
the roadmap app subscribes at start-up (roadmap.apps) to mark the initiatives
aligned to those key results for a rescore.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from audit.services import audit_record, diff, fingerprint, snapshot

from . import progress as progress_math
from .models import CheckIn, KeyResult, Metric, MetricReading, Objective
from .periods import current_quarter

KeyResultListener = Callable[[list[int], str], None]
_key_result_listeners: list[KeyResultListener] = []

OBJECTIVE_AUDIT_FIELDS = [
    "title",
    "description",
    "owner",
    "period",
    "parent",
    "team",
    "weight",
    "status",
]
KEY_RESULT_AUDIT_FIELDS = [
    "objective",
    "title",
    "metric",
    "kind",
    "start",
    "target",
    "current",
    "unit",
    "weight",
    "confidence",
]
METRIC_AUDIT_FIELDS = ["key", "name", "unit", "direction", "description"]


def on_key_results_changed(listener: KeyResultListener) -> None:
    """Subscribe to "these key results' progress or weight may have changed"."""
    if listener not in _key_result_listeners:
        _key_result_listeners.append(listener)


def _announce(key_result_ids: Iterable[int], trigger: str) -> None:
    ids = sorted(set(key_result_ids))
    if ids:
        for listener in _key_result_listeners:
            listener(ids, trigger)


class StaleVersion(Exception):
    """The object changed since the caller read it (optimistic locking)."""

    def __init__(self, current):
        super().__init__("This object was changed by someone else.")
        self.current = current


def _check_version(instance, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != instance.version:
        raise StaleVersion(instance)


def _check_fingerprint(instance, fields: list[str], expected: str | None) -> None:
    """The version check for rows without a version column (see audit.services.fingerprint)."""
    if expected is not None and expected != fingerprint(instance, fields):
        raise StaleVersion(instance)


# --- Objectives --------------------------------------------------------------


def objective_recompute_progress(*, objective_ids: Iterable[int]) -> None:
    for objective in Objective.objects.filter(id__in=set(objective_ids)).prefetch_related(
        "key_results"
    ):
        value = progress_math.objective_progress(
            progress_math.WeightedProgress(kr.progress, kr.weight)
            for kr in objective.key_results.all()
        )
        if value != objective.progress:
            Objective.objects.filter(pk=objective.pk).update(progress=value)


@transaction.atomic
def objective_create(*, actor, **fields) -> Objective:
    """Create an objective; without a period it is set for the current quarter."""
    if not fields.get("period"):
        fields["period"] = current_quarter()
    objective = Objective(owner=fields.pop("owner", actor), **fields)
    objective.full_clean()
    objective.save()
    audit_record(
        actor=actor,
        instance=objective,
        action="create",
        changes=snapshot(objective, OBJECTIVE_AUDIT_FIELDS),
    )
    return objective


@transaction.atomic
def objective_update(
    *, actor, objective: Objective, data: dict, expected_version: int | None = None
) -> Objective:
    objective = Objective.objects.select_for_update().get(pk=objective.pk)
    _check_version(objective, expected_version)
    scored_before = (objective.weight, objective.status, objective.title)
    before = snapshot(objective, OBJECTIVE_AUDIT_FIELDS)
    for name, value in data.items():
        setattr(objective, name, value)
    objective.full_clean()
    objective.version = F("version") + 1
    objective.save()
    objective.refresh_from_db()
    audit_record(
        actor=actor,
        instance=objective,
        action="update",
        changes=diff(before, snapshot(objective, OBJECTIVE_AUDIT_FIELDS)),
    )
    # Weight and status (cancelled objectives weight nothing) move aligned
    # priorities; the title is in their breakdowns.
    if (objective.weight, objective.status, objective.title) != scored_before:
        _announce(objective.key_results.values_list("id", flat=True), "edit")
    return objective


@transaction.atomic
def objective_delete(*, actor, objective: Objective) -> None:
    """Delete an objective with its key results (each audited); its children become top-level."""
    key_results = list(objective.key_results.all())
    _announce([kr.pk for kr in key_results], "edit")
    for kr in key_results:
        audit_record(
            actor=actor,
            instance=kr,
            action="delete",
            changes=snapshot(kr, KEY_RESULT_AUDIT_FIELDS),
            related_to=_objective_key(objective.pk),
        )
    audit_record(
        actor=actor,
        instance=objective,
        action="delete",
        changes=snapshot(objective, OBJECTIVE_AUDIT_FIELDS),
    )
    objective.delete()


# --- Key results -------------------------------------------------------------


def _objective_key(objective_id: int) -> str:
    """Files a key result's history under its objective's too (the objective page shows it)."""
    return f"okrs.objective:{objective_id}"


def _apply_progress(kr: KeyResult) -> None:
    kr.progress = progress_math.key_result_progress(kr.values()).value


@transaction.atomic
def key_result_create(*, actor, **fields) -> KeyResult:
    kr = KeyResult(**fields)
    if kr.metric_id and "current" not in fields:
        latest = kr.metric.readings.order_by("-observed_at", "-id").first()
        if latest is not None:
            kr.current = latest.value
    _apply_progress(kr)
    kr.full_clean()
    kr.save()
    objective_recompute_progress(objective_ids=[kr.objective_id])
    audit_record(
        actor=actor,
        instance=kr,
        action="create",
        changes=snapshot(kr, KEY_RESULT_AUDIT_FIELDS),
        related_to=_objective_key(kr.objective_id),
    )
    return kr


@transaction.atomic
def key_result_update(
    *, actor, key_result: KeyResult, data: dict, expected_version: int | None = None
) -> KeyResult:
    kr = KeyResult.objects.select_for_update().get(pk=key_result.pk)
    _check_version(kr, expected_version)
    old_objective = kr.objective_id
    before = snapshot(kr, KEY_RESULT_AUDIT_FIELDS)
    for name, value in data.items():
        setattr(kr, name, value)
    _apply_progress(kr)
    kr.full_clean()
    kr.version = F("version") + 1
    kr.save()
    kr.refresh_from_db()
    audit_record(
        actor=actor,
        instance=kr,
        action="update",
        changes=diff(before, snapshot(kr, KEY_RESULT_AUDIT_FIELDS)),
        related_to=_objective_key(kr.objective_id),
    )
    objective_recompute_progress(objective_ids=[old_objective, kr.objective_id])
    _announce([kr.pk], "edit")
    return kr


@transaction.atomic
def key_result_delete(*, actor, key_result: KeyResult) -> None:
    objective_id = key_result.objective_id
    _announce([key_result.pk], "edit")
    audit_record(
        actor=actor,
        instance=key_result,
        action="delete",
        changes=snapshot(key_result, KEY_RESULT_AUDIT_FIELDS),
        related_to=_objective_key(objective_id),
    )
    key_result.delete()
    objective_recompute_progress(objective_ids=[objective_id])


@transaction.atomic
def check_in_create(
    *,
    actor,
    key_result: KeyResult,
    value: float,
    confidence: str,
    note: str = "",
    checked_at: datetime | None = None,
) -> CheckIn:
    """Record a check-in: history row, new current value and confidence, rescore."""
    kr = KeyResult.objects.select_for_update().get(pk=key_result.pk)
    check_in = CheckIn(
        key_result=kr,
        value=value,
        confidence=confidence,
        note=note,
        author=actor,
        checked_at=checked_at or timezone.now(),
    )
    check_in.full_clean()
    check_in.save()
    latest = kr.check_ins.order_by("-checked_at", "-id").first()
    if latest.pk == check_in.pk:
        kr.current = value
        kr.confidence = confidence
        _apply_progress(kr)
        kr.version = F("version") + 1
        kr.save(update_fields=["current", "confidence", "progress", "version", "updated_at"])
        objective_recompute_progress(objective_ids=[kr.objective_id])
        _announce([kr.pk], "metric")
    return check_in


# --- Metrics -----------------------------------------------------------------


@dataclass(frozen=True)
class ReadingIngestResult:
    readings: list[MetricReading]
    created: int
    updated: int


@transaction.atomic
def metric_readings_ingest(*, actor, metric: Metric, items: list[dict]) -> ReadingIngestResult:
    """Store readings (value, observed_at, source, external_id) for one metric.

    A repeated external_id updates the stored reading, so a retried batch is
    harmless. The newest reading becomes `current` on every key result that
    tracks the metric; each of them then asks for a rescore of the initiatives
    aligned to it.
    """
    metric = Metric.objects.select_for_update().get(pk=metric.pk)
    ext_ids = [item["external_id"] for item in items if item.get("external_id")]
    existing = {
        r.external_id: r
        for r in MetricReading.objects.filter(metric=metric, external_id__in=ext_ids)
    }
    to_create, to_update, result = [], [], []
    seen_in_batch: dict[str, MetricReading] = {}
    for item in items:
        ext = item.get("external_id") or None
        reading = (seen_in_batch.get(ext) or existing.get(ext)) if ext else None
        if reading is None:
            reading = MetricReading(metric=metric, external_id=ext)
            to_create.append(reading)
        elif reading.pk and reading not in to_update:
            to_update.append(reading)
        reading.value = item["value"]
        reading.observed_at = item.get("observed_at") or timezone.now()
        reading.source = item.get("source", "") or ""
        reading.full_clean(exclude=["metric"], validate_unique=False, validate_constraints=False)
        if ext:
            seen_in_batch[ext] = reading
        result.append(reading)
    MetricReading.objects.bulk_create(to_create)
    if to_update:
        MetricReading.objects.bulk_update(to_update, ["value", "observed_at", "source"])

    latest = metric.readings.order_by("-observed_at", "-id").first()
    moved: list[int] = []
    if latest is not None:
        tracking = list(KeyResult.objects.select_for_update().filter(metric=metric))
        for kr in tracking:
            if kr.current == latest.value:
                continue
            kr.current = latest.value
            _apply_progress(kr)
            kr.version = F("version") + 1
            kr.save(update_fields=["current", "progress", "version", "updated_at"])
            moved.append(kr.pk)
        objective_recompute_progress(objective_ids={kr.objective_id for kr in tracking})
    _announce(moved, "metric")
    return ReadingIngestResult(readings=result, created=len(to_create), updated=len(to_update))


@transaction.atomic
def metric_create(*, actor, **fields) -> Metric:
    metric = Metric(**fields)
    metric.full_clean()
    metric.save()
    audit_record(
        actor=actor, instance=metric, action="create", changes=snapshot(metric, METRIC_AUDIT_FIELDS)
    )
    return metric


METRIC_EDITABLE_FIELDS = {"name", "unit", "direction", "description"}


def metric_fingerprint(metric: Metric) -> str:
    """What an edit form carries to refuse a stale edit (metrics have no version column)."""
    return fingerprint(metric, METRIC_AUDIT_FIELDS)


@transaction.atomic
def metric_update(
    *, actor, metric: Metric, data: dict, expected_fingerprint: str | None = None
) -> Metric:
    """Rename or describe a metric. Its key is fixed: integrations push readings by key.

    `expected_fingerprint` (from `metric_fingerprint` of the metric as the
    editor read it) refuses the write with StaleVersion if it changed since.
    """
    unknown = set(data) - METRIC_EDITABLE_FIELDS
    if unknown:
        raise ValidationError(f"Unknown or fixed fields: {', '.join(sorted(unknown))}")
    metric = Metric.objects.select_for_update().get(pk=metric.pk)
    _check_fingerprint(metric, METRIC_AUDIT_FIELDS, expected_fingerprint)
    before = snapshot(metric, METRIC_AUDIT_FIELDS)
    for name, value in data.items():
        setattr(metric, name, value)
    metric.full_clean()
    metric.save()
    audit_record(
        actor=actor,
        instance=metric,
        action="update",
        changes=diff(before, snapshot(metric, METRIC_AUDIT_FIELDS)),
    )
    return metric


@transaction.atomic
def metric_delete(*, actor, metric: Metric) -> None:
    """Delete a metric and its readings; key results that tracked it keep their last value."""
    audit_record(
        actor=actor, instance=metric, action="delete", changes=snapshot(metric, METRIC_AUDIT_FIELDS)
    )
    metric.delete()
