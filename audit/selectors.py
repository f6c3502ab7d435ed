"""Reads of the audit history, and its presentation as rows a person can read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q, QuerySet

from .models import AuditEntry

EMPTY = "—"


def audit_for_object(*, instance, include_related: bool = True) -> QuerySet[AuditEntry]:
    """History of one object, plus entries recorded as related to it (e.g. its alignments)."""
    ct = ContentType.objects.get_for_model(instance)
    condition = Q(content_type=ct, object_id=instance.pk)
    if include_related:
        condition |= Q(related_to=f"{ct.app_label}.{ct.model}:{instance.pk}")
    return AuditEntry.objects.filter(condition).select_related("actor", "content_type")


def change_pairs(entry: AuditEntry) -> dict[str, list]:
    """The entry's changes as {field: [old, new]}.

    Updates store pairs already; a create or delete stores a snapshot of the
    values, which reads as None → value (create) or value → None (delete).
    """
    out = {}
    for name, value in entry.changes.items():
        if isinstance(value, list) and len(value) == 2:
            out[name] = list(value)
        elif entry.action == AuditEntry.Action.DELETE:
            out[name] = [value, None]
        else:
            out[name] = [None, value]
    return out


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryRow:
    id: int
    when: datetime
    who: str
    action: str
    action_label: str
    subject: str  # what the entry is about: "Initiative" or "Alignment to <key result>"
    changes: list[FieldChange] = field(default_factory=list)


def _model_field(model, name):
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:  # a field removed since the entry was written
        return None


def _display(model_field, value, related_labels) -> str:
    if value is None or value == "":
        return EMPTY
    if model_field is None:
        return str(value)
    if isinstance(model_field, models.ForeignKey):
        label = related_labels.get((model_field.related_model, value))
        return label if label is not None else f"#{value} (deleted)"
    if model_field.choices:
        for choice_value, choice_label in model_field.flatchoices:
            if choice_value == value:
                return str(choice_label)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    text = str(value)
    return text if len(text) <= 300 else f"{text[:299]}…"


def _related_labels(entries: list[AuditEntry]) -> dict[tuple, str]:
    """One query per related model named in the entries (users, key results...), not per entry."""
    wanted: dict[type, set] = {}
    for entry in entries:
        model = entry.content_type.model_class()
        if model is None:
            continue
        for name, pair in change_pairs(entry).items():
            model_field = _model_field(model, name)
            if isinstance(model_field, models.ForeignKey):
                ids = {v for v in pair if isinstance(v, int)}
                wanted.setdefault(model_field.related_model, set()).update(ids)
    labels = {}
    for related, ids in wanted.items():
        if not ids:
            continue
        for obj in related._default_manager.filter(pk__in=ids):
            if hasattr(obj, "get_full_name"):
                label = obj.get_full_name() or obj.get_username()
            else:
                label = str(obj)
            labels[(related, obj.pk)] = label
    return labels


def history_rows(entries) -> list[HistoryRow]:
    """Entries (from audit_for_object) as rows: when, who, what, and old → new per field."""
    entries = list(entries)
    labels = _related_labels(entries)
    rows = []
    for entry in entries:
        model = entry.content_type.model_class()
        pairs = change_pairs(entry)
        subject = str(model._meta.verbose_name).capitalize() if model else entry.object_repr
        kr_field = _model_field(model, "key_result") if model else None
        if kr_field is not None and "key_result" in pairs:
            kr_id = pairs["key_result"][1] if pairs["key_result"][1] else pairs["key_result"][0]
            # An alignment is "to" its key result; anything else (a check-in) is "on" it.
            joiner = "to" if model._meta.model_name == "alignment" else "on"
            subject = f"{subject} {joiner} “{_display(kr_field, kr_id, labels)}”"
            # The pair [id, id] on a changed contribution says which, not what changed.
            if pairs["key_result"][0] == pairs["key_result"][1]:
                del pairs["key_result"]
        elif entry.related_to:  # filed under another object's history: say which one it is
            subject = f"{subject} “{entry.object_repr}”"
        changes = []
        for name, (old, new) in pairs.items():
            model_field = _model_field(model, name) if model else None
            label = str(model_field.verbose_name).capitalize() if model_field else name
            changes.append(
                FieldChange(
                    field=name,
                    label=label,
                    old=_display(model_field, old, labels),
                    new=_display(model_field, new, labels),
                )
            )
        actor = entry.actor
        who = (actor.get_full_name() or actor.get_username()) if actor else "system"
        rows.append(
            HistoryRow(
                id=entry.pk,
                when=entry.created_at,
                who=who,
                action=entry.action,
                action_label=entry.get_action_display(),
                subject=subject,
                changes=changes,
            )
        )
    return rows
