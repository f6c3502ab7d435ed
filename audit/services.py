"""Record audit history. Call inside the service's transaction, never after it."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction

from .models import AuditEntry


def _plain(value):
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def snapshot(instance: models.Model, fields: list[str]) -> dict:
    """The current values of `fields` (foreign keys by id), JSON-ready."""
    out = {}
    for name in fields:
        field = instance._meta.get_field(name)
        attname = field.attname if isinstance(field, models.ForeignKey) else name
        out[name] = _plain(getattr(instance, attname))
    return out


def fingerprint(instance: models.Model, fields: list[str]) -> str:
    """A short digest of `fields` as they are now.

    Optimistic locking for rows without a version column: an edit form
    carries the digest of the row it showed, and the service refuses the
    write when the row no longer matches it.
    """
    data = json.dumps(snapshot(instance, fields), sort_keys=True, default=str)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def diff(before: dict, after: dict) -> dict:
    return {k: [before.get(k), after[k]] for k in after if before.get(k) != after[k]}


def audit_record(
    *,
    actor,
    instance: models.Model,
    action: str,
    changes: dict | None = None,
    related_to: str = "",
) -> AuditEntry | None:
    """Write one audit entry; an update with no changes writes nothing."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the change's transaction")
    if action == AuditEntry.Action.UPDATE and not changes:
        return None
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        content_type=ContentType.objects.get_for_model(instance, for_concrete_model=True),
        object_id=instance.pk,
        object_repr=str(instance)[:200],
        changes=changes or {},
        related_to=related_to,
    )


def related_key(instance: models.Model) -> str:
    """The `related_to` value that files an entry under `instance`'s history."""
    return f"{instance._meta.app_label}.{instance._meta.model_name}:{instance.pk}"


def audit_record_many(*, actor, model: type[models.Model], entries: list[dict]) -> int:
    """Write one UPDATE entry per changed object of `model`, in one INSERT.

    Each entry: pk, repr, changes ({"field": [old, new]}, values JSON-ready
    through `_plain`), related_to (optional). Entries without changes are
    skipped. For batch services (ingest, relink of many items).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record_many must run inside the change's transaction")
    content_type = ContentType.objects.get_for_model(model, for_concrete_model=True)
    actor = actor if actor is not None and actor.is_authenticated else None
    rows = [
        AuditEntry(
            actor=actor,
            action=AuditEntry.Action.UPDATE,
            content_type=content_type,
            object_id=entry["pk"],
            object_repr=str(entry["repr"])[:200],
            changes={
                name: [_plain(old), _plain(new)] for name, (old, new) in entry["changes"].items()
            },
            related_to=entry.get("related_to", ""),
        )
        for entry in entries
        if entry["changes"]
    ]
    AuditEntry.objects.bulk_create(rows, batch_size=500)
    return len(rows)
