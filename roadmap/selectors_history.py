"""Reads of an initiative's score history: its snapshots, for the API, the page and a compare."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from roadmap.models import Initiative, ScoreSnapshot

from .selectors import _visible


def initiative_snapshots(*, viewer, initiative_id: int) -> QuerySet[ScoreSnapshot]:
    """The initiative's snapshots (newest first); 404 for a missing or unreadable initiative."""
    try:
        visible = _visible(Initiative.objects.filter(pk=initiative_id), viewer).exists()
    except (ValueError, TypeError):
        visible = False
    if not visible:
        raise Http404("No such initiative.")
    return ScoreSnapshot.objects.filter(initiative_id=initiative_id).order_by("-id")


def snapshots_compare(*, viewer, initiative_id: int, ids: list[int]) -> list[ScoreSnapshot]:
    """Two snapshots of one initiative, older first; 404 if either is not the initiative's."""
    rows = list(
        initiative_snapshots(viewer=viewer, initiative_id=initiative_id)
        .filter(pk__in=ids)
        .order_by("id")
    )
    if len(rows) != len(set(ids)) or not rows:
        raise Http404("No such snapshot.")
    return rows
