"""Writes to metrics and their readings (okrs.services re-exports them).

A reading moves every key result that tracks its metric (the current-value
rule, okrs.progress_sync); each one that moved is announced to the listeners
(okrs.services_common) inside the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.services import audit_record, diff, fingerprint, snapshot

from .models import Metric, MetricReading
from .progress_sync import metric_settle, objective_recompute_progress
from .services_common import KEY_RESULT_UPDATED, _announce, _check_fingerprint, _goals_changed

METRIC_DERIVED_FIELDS = ("derived_kind", "derived_window_days", "derived_segment")
METRIC_AUDIT_FIELDS = ["key", "name", "unit", "direction", "description", *METRIC_DERIVED_FIELDS]


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
