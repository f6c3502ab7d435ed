"""Which saved views a person sees: their own and the team's shared ones."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from access.roles import can_view

from .models import SavedView

# The navigation lists this many; the saved views page lists them all.
NAV_LIMIT = 25


def saved_view_list(*, viewer) -> QuerySet[SavedView]:
    if not can_view(viewer):
        return SavedView.objects.none()
    return (
        SavedView.objects.filter(Q(owner=viewer) | Q(shared=True))
        .select_related("owner")
        .order_by("page", "name", "id")
    )


def saved_view_get_for_user(*, viewer, pk: int) -> SavedView:
    try:
        return saved_view_list(viewer=viewer).get(pk=pk)
    except SavedView.DoesNotExist:
        raise Http404("No such saved view.") from None
