"""The roadmap board (now / next / later), moving cards, and the quarter timeline."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from okrs.services import StaleVersion
from roadmap import services
from roadmap.forms import MoveForm
from roadmap.models import Initiative
from roadmap.selectors import initiative_get_for_user, initiative_list

from ._access import editor_required, viewer_required

UNSCHEDULED = "Unscheduled"


# Cards per lane: the best-ranked; the rest are a link to the ranked table. A
# board of 10,000 initiatives drawn whole is 18 MB of HTML and seconds to render.
LANE_CARDS = 100


def _board_initiatives(viewer):
    """Everything but archived work, in rank order (the selector's order)."""
    return initiative_list(viewer=viewer).exclude(status=Initiative.Status.ARCHIVED)


def _board_context(viewer, status_message: str = "") -> dict:
    listed = _board_initiatives(viewer)
    counts = dict(listed.order_by().values_list("lane").annotate(n=Count("pk")))
    columns = []
    for lane, label in Initiative.Lane.choices:
        cards = list(listed.filter(lane=lane)[:LANE_CARDS]) if counts.get(lane) else []
        columns.append(
            {
                "lane": lane,
                "label": label,
                "cards": cards,
                "count": counts.get(lane, 0),
                "more": counts.get(lane, 0) - len(cards),
            }
        )
    return {
        "columns": columns,
        "lanes": Initiative.Lane.choices,
        "total": sum(counts.values()),
        "status_message": status_message,
    }


@require_safe
@viewer_required
def board(request):
    return render(request, "roadmap/board.html", _board_context(request.user))


@require_POST
@editor_required
def initiative_move(request, pk: int):
    initiative = initiative_get_for_user(viewer=request.user, pk=pk)
    form = MoveForm(request.POST)
    status_message = ""
    if not form.is_valid():
        status_message = "That is not a lane on the board."
    else:
        lane = form.cleaned_data["lane"]
        try:
            initiative = services.initiative_move(
                actor=request.user,
                initiative=initiative,
                lane=lane,
                expected_version=form.cleaned_data["version"],
            )
        except StaleVersion:
            status_message = (
                f"“{initiative.title}” was changed by someone else; "
                "the board now shows the current state."
            )
        except ValidationError as exc:
            status_message = "; ".join(exc.messages)
        else:
            status_message = f"Moved “{initiative.title}” to {initiative.get_lane_display()}."
    if request.htmx:
        return render(request, "roadmap/_board.html", _board_context(request.user, status_message))
    messages.info(request, status_message)
    return redirect("roadmap:board")


@require_safe
@viewer_required
def timeline(request):
    groups: dict[str, list[Initiative]] = {}
    for initiative in _board_initiatives(request.user):
        groups.setdefault(initiative.target_quarter or UNSCHEDULED, []).append(initiative)
    quarters = sorted(q for q in groups if q != UNSCHEDULED)
    if UNSCHEDULED in groups:
        quarters.append(UNSCHEDULED)
    return render(
        request,
        "roadmap/timeline.html",
        {"quarters": [(q, groups[q]) for q in quarters], "unscheduled": UNSCHEDULED},
    )
