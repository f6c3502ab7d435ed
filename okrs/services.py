"""Writes to objectives, key results, metrics and check-ins.

Each service validates, writes, keeps derived progress in step and, when key
results move, tells the listeners registered with `on_key_results_changed`
inside the same transaction. Roadmap depends on goals and never the reverse:
the roadmap app subscribes at start-up (roadmap.apps) to mark the initiatives
aligned to those key results for a rescore. The metrics' writes are in
okrs.services_metrics and the listeners and version checks in
okrs.services_common; both are re-exported here, the one place callers import
OKR writes from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from audit.services import audit_record, diff, snapshot

from . import progress as progress_math
from .models import CheckIn, KeyResult, Objective
from .periods import current_quarter
from .progress_sync import key_result_settle, objective_recompute_progress
from .services_common import (
    KEY_RESULT_UPDATED,
    OBJECTIVE_UPDATED,
    GoalsListener,
    KeyResultListener,
    StaleVersion,
    _announce,
    _check_version,
    _goals_changed,
    _goals_listeners,
    _key_result_listeners,
    on_goals_changed,
    on_key_results_changed,
)
from .services_metrics import (
    METRIC_AUDIT_FIELDS,
    METRIC_DERIVED_FIELDS,
    METRIC_EDITABLE_FIELDS,
    DerivedMetricReadings,
    ReadingIngestResult,
    metric_create,
    metric_delete,
    metric_fingerprint,
    metric_push_refusal,
    metric_readings_ingest,
    metric_readings_push,
    metric_update,
)

# Every OKR write and its errors, those of okrs.services_metrics and okrs.services_common
# included: callers import them from here (the listener lists for tests that restore them).
__all__ = [
    "CHECK_IN_AUDIT_FIELDS",
    "KEY_RESULT_AUDIT_FIELDS",
    "KEY_RESULT_UPDATED",
    "METRIC_AUDIT_FIELDS",
    "METRIC_DERIVED_FIELDS",
    "METRIC_EDITABLE_FIELDS",
    "OBJECTIVE_AUDIT_FIELDS",
    "OBJECTIVE_UPDATED",
    "CheckInResult",
    "DerivedMetricReadings",
    "GoalsListener",
    "KeyResultListener",
    "ReadingIngestResult",
    "StaleVersion",
    "_goals_listeners",
    "_key_result_listeners",
    "check_in_create",
    "check_in_record",
    "key_result_create",
    "key_result_delete",
    "key_result_update",
    "metric_create",
    "metric_delete",
    "metric_fingerprint",
    "metric_push_refusal",
    "metric_readings_ingest",
    "metric_readings_push",
    "metric_update",
    "objective_create",
    "objective_delete",
    "objective_update",
    "on_goals_changed",
    "on_key_results_changed",
]


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
