"""Writes to initiatives and their alignments."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from audit.services import audit_record, diff, related_key, snapshot
from okrs.models import KeyResult
from okrs.services import StaleVersion
from roadmap.models import Alignment, Initiative

from .causes import actor_name, cause_value, record_causes
from .marks import initiatives_mark
from .read_cache import priorities_changed
from .segment_counts import segment_counts_regroup
from .webhook_events import Event, event_emit, initiative_data, initiative_event

# Fields whose change moves the score or the ranking.
FRAMEWORK_FIELDS = ["ease", "business_value", "time_criticality", "risk_reduction", "job_size"]
SCORED_FIELDS = {
    "reach",
    "impact",
    "confidence",
    "effort",
    "reach_source",
    "status",
    *FRAMEWORK_FIELDS,
}
AUDIT_FIELDS = [
    "title",
    "description",
    "status",
    "lane",
    "target_quarter",
    "start_quarter",
    "end_quarter",
    "team",
    "owner",
    "external_id",
    "reach",
    "impact",
    "confidence",
    "effort",
    "reach_source",
    *FRAMEWORK_FIELDS,
]
# The key of the segment counts' group rows (`segment_counts_regroup`).
GROUP_FIELDS_ORDER = ("status", "lane", "team")
GROUP_FIELDS = set(GROUP_FIELDS_ORDER)
# What a person may set: the audited fields, and the owner by id as forms send it.
EDITABLE_FIELDS = {*AUDIT_FIELDS, "owner_id"}


def _no_blank_id(fields: dict) -> dict:
    """An empty external id is none: "" twice would collide on the unique constraint."""
    if fields.get("external_id") == "":
        return {**fields, "external_id": None}
    return fields


@transaction.atomic
def initiative_create(*, actor, **fields) -> Initiative:
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}")
    initiative = Initiative(**_no_blank_id(fields))
    if "owner" not in fields and "owner_id" not in fields and actor is not None:
        initiative.owner = actor
    initiative.full_clean()
    initiative.needs_rescore = True
    initiative.rescore_trigger = Initiative.Trigger.EDIT
    initiative.save()
    audit_record(
        actor=actor,
        instance=initiative,
        action="create",
        changes=snapshot(initiative, AUDIT_FIELDS),
    )
    initiatives_mark(ids=[initiative.pk], trigger=Initiative.Trigger.EDIT)
    record_causes([initiative.pk], {"kind": "edit", "field": "created", "by": actor_name(actor)})
    priorities_changed()
    initiative_event(Event.INITIATIVE_CREATED, initiative)
    return initiative


@transaction.atomic
def initiative_update(
    *, actor, initiative: Initiative, data: dict, expected_version: int | None = None
) -> Initiative:
    """Change fields of an initiative; a stale `expected_version` raises StaleVersion."""
    unknown = set(data) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}")
    data = _no_blank_id(data)
    locked = Initiative.objects.select_for_update().get(pk=initiative.pk)
    if expected_version is not None and expected_version != locked.version:
        raise StaleVersion(locked)
    changed = {name for name, value in data.items() if getattr(locked, name) != value}
    if not changed:
        return locked
    derived = data.get("reach_source", locked.reach_source) == Initiative.ReachSource.EVIDENCE
    if "reach" in changed and derived:
        # The rescore derives it from the linked evidence and would overwrite it.
        raise ValidationError(
            {
                "reach": "Reach is derived from linked evidence; set reach_source to"
                " “manual” to set it by hand."
            }
        )
    before = snapshot(locked, AUDIT_FIELDS)
    was = {name: getattr(locked, name) for name in changed}
    for name in changed:
        setattr(locked, name, data[name])
    locked.full_clean()
    audit_record(
        actor=actor,
        instance=locked,
        action="update",
        changes=diff(before, snapshot(locked, AUDIT_FIELDS)),
    )
    locked.version = F("version") + 1
    locked.save()
    if changed & GROUP_FIELDS:
        segment_counts_regroup(
            initiative_id=locked.pk,
            was=tuple(was.get(name, getattr(locked, name)) for name in GROUP_FIELDS_ORDER),
            now=tuple(getattr(locked, name) for name in GROUP_FIELDS_ORDER),
        )
    priorities_changed()
    if changed & SCORED_FIELDS:
        initiatives_mark(ids=[locked.pk], trigger=Initiative.Trigger.EDIT)
        by = actor_name(actor)
        for name in sorted(changed & SCORED_FIELDS):
            cause = {"kind": "edit", "field": name, "from": cause_value(was[name])}
            record_causes(
                [locked.pk], {**cause, "to": cause_value(getattr(locked, name)), "by": by}
            )
    locked.refresh_from_db()
    initiative_event(Event.INITIATIVE_UPDATED, locked, changed=sorted(changed))
    return locked


@transaction.atomic
def initiative_move(
    *, actor, initiative: Initiative, lane: str, expected_version: int | None = None
) -> Initiative:
    """Move a card to another lane on the board."""
    return initiative_update(
        actor=actor, initiative=initiative, data={"lane": lane}, expected_version=expected_version
    )


@transaction.atomic
def initiative_delete(*, actor, initiative: Initiative) -> None:
    audit_record(
        actor=actor,
        instance=initiative,
        action="delete",
        changes=snapshot(initiative, AUDIT_FIELDS),
    )
    event_emit(Event.INITIATIVE_DELETED, initiative_data(initiative))
    group = Initiative.objects.filter(pk=initiative.pk).values_list(*GROUP_FIELDS_ORDER).first()
    if group is not None:
        segment_counts_regroup(initiative_id=initiative.pk, was=group, now=None)
    initiative.delete()
    # Everything below it moves up a rank: ranks are counted when read.
    priorities_changed()


@transaction.atomic
def alignment_set(
    *, actor, initiative: Initiative, key_result: KeyResult, contribution: str
) -> Alignment:
    """Align an initiative to a key result, or change the contribution if it already is."""
    if contribution not in Alignment.Contribution.values:
        raise ValidationError({"contribution": f"{contribution!r} is not a valid choice."})
    alignment, created = Alignment.objects.get_or_create(
        initiative=initiative, key_result=key_result, defaults={"contribution": contribution}
    )
    if created or alignment.contribution != contribution:
        audit_record(
            actor=actor,
            instance=alignment,
            action="create" if created else "update",
            changes={
                "key_result": [None, key_result.pk] if created else [key_result.pk] * 2,
                "contribution": [None if created else alignment.contribution, contribution],
            },
            related_to=related_key(initiative),
        )
        cause = {"kind": "alignment", "key_result": key_result.pk, "title": key_result.title}
        cause["from"] = None if created else alignment.contribution
        alignment.contribution = contribution
        alignment.save(update_fields=["contribution"])
        initiatives_mark(ids=[initiative.pk], trigger=Initiative.Trigger.EDIT)
        record_causes([initiative.pk], {**cause, "to": contribution, "by": actor_name(actor)})
    return alignment


@transaction.atomic
def alignment_remove(*, actor, alignment: Alignment) -> None:
    alignment = Alignment.objects.select_for_update().get(pk=alignment.pk)
    initiative_id = alignment.initiative_id
    audit_record(
        actor=actor,
        instance=alignment,
        action="delete",
        changes={
            "key_result": [alignment.key_result_id, None],
            "contribution": [alignment.contribution, None],
        },
        related_to=f"roadmap.initiative:{initiative_id}",
    )
    cause = {"kind": "alignment", "key_result": alignment.key_result_id, "to": None}
    cause.update(title=alignment.key_result.title, by=actor_name(actor))
    cause["from"] = alignment.contribution
    alignment.delete()
    initiatives_mark(ids=[initiative_id], trigger=Initiative.Trigger.EDIT)
    record_causes([initiative_id], cause)
