"""An experiment's result on its evidence item: set it (audited), and rescore its initiative."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from audit.services import audit_record, diff, snapshot
from roadmap.models import Evidence, Initiative

from .causes import actor_name, record_causes
from .marks import initiatives_mark

RESULT_FIELDS = {
    "metric": "experiment_metric",
    "variant": "experiment_variant",
    "lift": "experiment_lift",
    "ci_low": "experiment_ci_low",
    "ci_high": "experiment_ci_high",
    "p_value": "experiment_p_value",
    "sample_size": "experiment_sample_size",
}


@transaction.atomic
def evidence_experiment_set(*, actor, evidence: Evidence, result: dict) -> Evidence:
    """Set (or, with every field empty, clear) the result of an experiment item.

    `result` holds the RESULT_FIELDS keys to change. Validated by the model
    (bounds, an experiment item only, a whole and ordered interval); the
    change is audited and its initiative rescored (the policy may raise its
    confidence on a significant positive result: docs/SCORING.md).
    """
    unknown = set(result) - set(RESULT_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}")
    locked = Evidence.objects.select_for_update().get(pk=evidence.pk)
    fields = list(Evidence.EXPERIMENT_FIELDS)
    before = snapshot(locked, fields)
    was_significant = locked.experiment_significant
    for key, value in result.items():
        setattr(
            locked,
            RESULT_FIELDS[key],
            "" if value is None and key in ("metric", "variant") else value,
        )
    locked.full_clean(validate_unique=False, validate_constraints=False)
    changes = diff(before, snapshot(locked, fields))
    if not changes:
        return locked
    audit_record(actor=actor, instance=locked, action="update", changes=changes)
    locked.save(update_fields=[*fields, "updated_at"])
    if locked.initiative_id:
        initiatives_mark(
            ids=[locked.initiative_id], trigger=Initiative.Trigger.EDIT, forget_sums=False
        )
        record_causes(
            [locked.initiative_id],
            {
                "kind": "edit",
                "field": "experiment",
                "evidence": locked.pk,
                "from": "significant" if was_significant else "not significant",
                "to": "significant" if locked.experiment_significant else "not significant",
                "by": actor_name(actor),
            },
        )
    return locked
