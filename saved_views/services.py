"""Saving, renaming and deleting views. Every write is audited."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from access.roles import can_edit_roadmap, can_view
from audit.services import audit_record, diff, snapshot

from .models import SavedView
from .pages import PAGES, clean_query

FIELDS = ["page", "name", "query", "shared"]


def _validated(page: str, name: str) -> str:
    if page not in PAGES:
        raise ValidationError({"page": "Views can be saved on: " + ", ".join(sorted(PAGES)) + "."})
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": "Give the view a name."})
    if len(name) > 80:
        raise ValidationError({"name": "Keep the name under 80 characters."})
    return name


def saved_view_save(*, actor, page: str, name: str, query: str, shared: bool) -> SavedView:
    """Save the page's current filters and sort under a name; the same name replaces it."""
    if not can_view(actor):
        raise PermissionDenied("Only team members save views.")
    name = _validated(page, name)
    query = clean_query(page, query)
    with transaction.atomic():
        view = (
            SavedView.objects.select_for_update().filter(owner=actor, page=page, name=name).first()
        )
        if view is None:
            try:
                with transaction.atomic():
                    view = SavedView.objects.create(
                        owner=actor, page=page, name=name, query=query, shared=shared
                    )
            except IntegrityError:  # saved twice at once: the other request won
                view = SavedView.objects.select_for_update().get(owner=actor, page=page, name=name)
            else:
                audit_record(
                    actor=actor, instance=view, action="create", changes=snapshot(view, FIELDS)
                )
                return view
        before = snapshot(view, FIELDS)
        view.query, view.shared = query, shared
        view.save(update_fields=["query", "shared", "updated_at"])
        audit_record(
            actor=actor,
            instance=view,
            action="update",
            changes=diff(before, snapshot(view, FIELDS)),
        )
        return view


def saved_view_delete(*, actor, view: SavedView) -> None:
    """The owner deletes their view; product may also remove a shared one, staff any."""
    allowed = (
        view.owner_id == actor.pk or actor.is_superuser or (view.shared and can_edit_roadmap(actor))
    )
    if not allowed:
        raise PermissionDenied("Only its owner can delete this view.")
    with transaction.atomic():
        audit_record(actor=actor, instance=view, action="delete", changes=snapshot(view, FIELDS))
        view.delete()
