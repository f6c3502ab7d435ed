"""Inbox triage: edit an item, dismiss it with a reason, bring it back. Audited.

Linking, moving and unlinking go through `evidence_link`. A dismissed item is
unlinked and counts for nothing (no reach, no derived NPS/CSAT); it stays
findable under the inbox's "Dismissed" tab, and linking it again, or
restoring it, undoes the dismissal.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.services import audit_record, audit_record_many, diff, snapshot
from roadmap.models import Evidence, Initiative

from .causes import actor_name, record_causes
from .derived_metrics import request_derived_metrics
from .evidence_search import documents_refresh
from .marks import initiatives_mark

# What a triage edit may change.
EDITABLE = ["text", "source", "importance", "score", "customer", "received_at"]
# "Everything matching this filter" acts on at most this many items at once.
BULK_MAX = 5000


def _initiative_key(initiative_id: int | None) -> str:
    return f"roadmap.initiative:{initiative_id}" if initiative_id else ""


def _locked(ids: Iterable[int]) -> list[tuple[int, int | None, str, str, int | None]]:
    ids = list(set(ids))
    if not ids:
        raise ValidationError({"evidence": "Select at least one evidence item."})
    if len(ids) > BULK_MAX:
        raise ValidationError(
            {"evidence": f"{len(ids):,} items: a bulk action takes at most {BULK_MAX:,}."}
        )
    rows = list(
        Evidence.objects.filter(id__in=ids)
        .select_for_update()
        .values_list("id", "initiative_id", "text", "dismissed_reason", "score")
    )
    if len(rows) != len(ids):
        raise ValidationError({"evidence": "Some of these evidence items do not exist."})
    return rows


@transaction.atomic
def evidence_dismiss(*, actor, evidence_ids: Iterable[int], reason: str) -> int:
    """Dismiss items as won't do, duplicate or spam: unlinked, and counted nowhere."""
    if reason not in Evidence.Dismissal.values:
        raise ValidationError(
            {"reason": "Dismiss as one of: " + ", ".join(Evidence.Dismissal.values) + "."}
        )
    rows = _locked(evidence_ids)
    changed = [row for row in rows if row[3] != reason or row[1] is not None]
    Evidence.objects.filter(id__in=[row[0] for row in changed]).update(
        initiative=None,
        dismissed_reason=reason,
        dismissed_at=timezone.now(),
        updated_at=timezone.now(),
    )
    audit_record_many(
        actor=actor,
        model=Evidence,
        entries=[
            {
                "pk": pk,
                "repr": text[:60],
                "changes": {
                    "dismissed_reason": (was, reason),
                    **({"initiative": (initiative_id, None)} if initiative_id else {}),
                },
                "related_to": _initiative_key(initiative_id),
            }
            for pk, initiative_id, text, was, _ in changed
        ],
    )
    left = Counter(row[1] for row in changed if row[1])
    if left:
        initiatives_mark(ids=set(left), trigger=Initiative.Trigger.EVIDENCE)
        by = actor_name(actor)
        for initiative_id, n in left.items():
            record_causes(
                [initiative_id], {"kind": "evidence", "dismissed": n, "reason": reason, "by": by}
            )
    if any(row[4] is not None for row in changed):
        request_derived_metrics()
    return len(changed)


@transaction.atomic
def evidence_restore(*, actor, evidence_ids: Iterable[int]) -> int:
    """Undo a dismissal: the items are back in the inbox, unlinked."""
    rows = [row for row in _locked(evidence_ids) if row[3]]
    Evidence.objects.filter(id__in=[row[0] for row in rows]).update(
        dismissed_reason="", dismissed_at=None, updated_at=timezone.now()
    )
    audit_record_many(
        actor=actor,
        model=Evidence,
        entries=[
            {"pk": pk, "repr": text[:60], "changes": {"dismissed_reason": (was, "")}}
            for pk, _, text, was, _ in rows
        ],
    )
    if any(row[4] is not None for row in rows):
        request_derived_metrics()
    return len(rows)


@transaction.atomic
def evidence_edit(*, actor, evidence: Evidence, data: dict) -> Evidence:
    """Correct an item's text, source, importance, score, customer or date."""
    unknown = set(data) - set(EDITABLE)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be edited here."))
    evidence = Evidence.objects.select_for_update().get(pk=evidence.pk)
    before = snapshot(evidence, EDITABLE)
    for name, value in data.items():
        setattr(evidence, name, value)
    evidence.full_clean(exclude=["initiative", "created_by", "external_id"])
    evidence.save()
    changes = diff(before, snapshot(evidence, EDITABLE))
    if not changes:
        return evidence
    if "text" in changes:
        documents_refresh([evidence.pk])
    audit_record(
        actor=actor,
        instance=evidence,
        action="update",
        changes=changes,
        related_to=_initiative_key(evidence.initiative_id),
    )
    if evidence.initiative_id:
        initiatives_mark(ids=[evidence.initiative_id], trigger=Initiative.Trigger.EVIDENCE)
        record_causes(
            [evidence.initiative_id],
            {"kind": "evidence", "edited": 1, "fields": sorted(changes), "by": actor_name(actor)},
        )
    if {"score", "source", "received_at", "customer"} & set(changes) and (
        evidence.score is not None or before["score"] is not None
    ):
        request_derived_metrics()
    return evidence
