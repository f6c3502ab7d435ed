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
from .progress_sync import (
    key_result_settle,
    metric_settle,
    objective_recompute_progress,
)

KeyResultListener = Callable[[list[int], str], None]
_key_result_listeners: list[KeyResultListener] = []
GoalsListener = Callable[[str, list[int]], None]
_goals_listeners: list[GoalsListener] = []
KEY_RESULT_UPDATED = "key_result.updated"
OBJECTIVE_UPDATED = "objective.updated"

OBJECTIVE_AUDIT_FIELDS = [
    "title",
    "description",
    "owner",
    "period",
    "parent",
    "team",
    "weight",
    "rollup_weight",
    "status",
]
CHECK_IN_AUDIT_FIELDS = ["key_result", "value", "confidence", "note", "checked_at", "external_id"]
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
METRIC_DERIVED_FIELDS = ("derived_kind", "derived_window_days", "derived_segment")
METRIC_AUDIT_FIELDS = ["key", "name", "unit", "direction", "description", *METRIC_DERIVED_FIELDS]


def on_key_results_changed(listener: KeyResultListener) -> None:
    """Subscribe to "these key results' progress or weight may have changed"."""
    if listener not in _key_result_listeners:
        _key_result_listeners.append(listener)


def _announce(key_result_ids: Iterable[int], trigger: str) -> None:
    ids = sorted(set(key_result_ids))
    if ids:
        for listener in _key_result_listeners:
            listener(ids, trigger)


def on_goals_changed(listener: GoalsListener) -> None:
    """Subscribe to "these objectives (or key results) were updated", called inside the
    transaction with KEY_RESULT_UPDATED or OBJECTIVE_UPDATED and the ids (roadmap's
    webhooks listen)."""
    if listener not in _goals_listeners:
        _goals_listeners.append(listener)


def _goals_changed(event: str, ids: Iterable[int]) -> None:
    ids = sorted(set(ids))
    if ids:
        for listener in _goals_listeners:
            listener(event, ids)


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
    objective_recompute_progress(objective_ids=[objective.parent_id])
    return objective


@transaction.atomic
def objective_update(
    *, actor, objective: Objective, data: dict, expected_version: int | None = None
) -> Objective:
    objective = Objective.objects.select_for_update().get(pk=objective.pk)
    _check_version(objective, expected_version)
    scored_before = (objective.weight, objective.status, objective.title)
    rollup_before = (objective.parent_id, objective.status, objective.rollup_weight)
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
    _goals_changed(OBJECTIVE_UPDATED, [objective.pk])
    # Weight and status (cancelled objectives weight nothing) move aligned
    # priorities; the title is in their breakdowns.
    if (objective.weight, objective.status, objective.title) != scored_before:
        _announce(objective.key_results.values_list("id", flat=True), "edit")
    # Where it counts in a parent's roll-up, and with what weight (cancelled: not at all).
    if (objective.parent_id, objective.status, objective.rollup_weight) != rollup_before:
        objective_recompute_progress(objective_ids=[rollup_before[0], objective.parent_id])
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
    parent_id = objective.parent_id
    objective.delete()
    objective_recompute_progress(objective_ids=[parent_id])


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
    _goals_changed(KEY_RESULT_UPDATED, [kr.pk])
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


@dataclass(frozen=True)
class CheckInResult:
    check_in: CheckIn
    created: bool


@transaction.atomic
def check_in_record(
    *,
    actor,
    key_result: KeyResult,
    value: float,
    confidence: str,
    note: str = "",
    checked_at: datetime | None = None,
    external_id: str | None = None,
) -> CheckInResult:
    """Record a check-in (history, audited); the key result takes it if it is the newest value.

    A check-in dated before the key result's newest reading or check-in is
    kept in the history and changes neither `current` nor the scores. With an
    `external_id` already used on this key result, the stored check-in is
    changed instead of a second one added, so a retried request is harmless.
    """
    kr = KeyResult.objects.select_for_update().get(pk=key_result.pk)
    check_in = None
    if external_id:
        check_in = CheckIn.objects.filter(key_result=kr, external_id=external_id).first()
    created = check_in is None
    if created:
        check_in = CheckIn(key_result=kr, author=actor, external_id=external_id or None)
    before = {} if created else snapshot(check_in, CHECK_IN_AUDIT_FIELDS)
    check_in.value = value
    check_in.confidence = confidence
    check_in.note = note
    check_in.checked_at = checked_at or (check_in.checked_at if not created else timezone.now())
    check_in.full_clean(exclude=["key_result", "author"], validate_constraints=False)
    check_in.save()
    after = snapshot(check_in, CHECK_IN_AUDIT_FIELDS)
    audit_record(
        actor=actor,
        instance=check_in,
        action="create" if created else "update",
        changes=after if created else diff(before, after),
        related_to=_objective_key(kr.objective_id),
    )
    if key_result_settle(kr):
        objective_recompute_progress(objective_ids=[kr.objective_id])
        _announce([kr.pk], "metric")
        _goals_changed(KEY_RESULT_UPDATED, [kr.pk])
    return CheckInResult(check_in=check_in, created=created)


def check_in_create(*, actor, key_result: KeyResult, **fields) -> CheckIn:
    """Record a check-in (see check_in_record) and return it."""
    return check_in_record(actor=actor, key_result=key_result, **fields).check_in


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
    harmless. Every key result that tracks the metric takes the newest value of
    its history (the newest reading, unless one of its check-ins is newer: a
    late reading about an earlier moment changes nothing); each one that moved
    asks for a rescore of the initiatives aligned to it.
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
        now = timezone.now()  # bulk_update skips auto_now: an integration syncs on it
        for reading in to_update:
            reading.updated_at = now
        MetricReading.objects.bulk_update(
            to_update, ["value", "observed_at", "source", "updated_at"]
        )

    moved, objective_ids = metric_settle(metric.pk)
    objective_recompute_progress(objective_ids=objective_ids)
    _announce(moved, "metric")
    _goals_changed(KEY_RESULT_UPDATED, moved)
    return ReadingIngestResult(readings=result, created=len(to_create), updated=len(to_update))


class DerivedMetricReadings(ValidationError):
    """Readings pushed to a derived metric: the pipeline computes its readings."""


def metric_push_refusal(metric: Metric) -> str | None:
    """Why `metric` takes no pushed readings (a derived one), else None."""
    if not metric.derived_kind:
        return None
    return (
        f"The metric “{metric.key}” is derived ({metric.derived_label}): its readings are"
        " computed from customer survey answers, so it takes no pushed readings. Send the"
        " answers as evidence with a score, or push to a metric that is not derived."
    )


def metric_readings_push(*, actor, metric: Metric, items: list[dict]) -> ReadingIngestResult:
    """Readings an integration (or a person) sends: refused on a derived metric, whose
    readings the pipeline computes from survey answers (a pushed one would be overwritten
    by, or fight with, the computed ones). Else metric_readings_ingest."""
    refusal = metric_push_refusal(metric)
    if refusal:
        raise DerivedMetricReadings(refusal, code="derived_metric")
    return metric_readings_ingest(actor=actor, metric=metric, items=items)


@transaction.atomic
def metric_create(*, actor, **fields) -> Metric:
    metric = Metric(**fields)
    metric.full_clean()
    metric.save()
    audit_record(
        actor=actor, instance=metric, action="create", changes=snapshot(metric, METRIC_AUDIT_FIELDS)
    )
    return metric


METRIC_EDITABLE_FIELDS = {"name", "unit", "direction", "description", *METRIC_DERIVED_FIELDS}


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
