"""The roadmap board (now / next / later) and moving cards."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpResponseBadRequest, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from okrs.services import StaleVersion
from roadmap import services
from roadmap.forms import MoveForm
from roadmap.forms_board import BoardFilterForm, LaneMoreForm
from roadmap.models import Initiative
from roadmap.models.ranks import attach_ranks
from roadmap.selectors import initiative_get_for_user, initiative_list, initiative_teams

from ._access import editor_required, viewer_required

# Cards per lane: the best-ranked, then as many more on each "Show more" (htmx);
# the whole lane is ranked in Priorities. A board of 10,000 initiatives drawn
# whole is 18 MB of HTML and seconds to render.
LANE_CARDS = 50


# Shipped cards the "recently shipped" strip shows, most recently changed first.
SHIPPED_STRIP = 8


# What a card shows (roadmap/_card.html and the shipped strip): loading only these
# leaves out the breakdown's JSON and the evidence sums, a third of the page's CPU.
CARD_FIELDS = (
    "id",
    "version",
    "title",
    "status",
    "lane",
    "rank_key",
    "priority_score",
    "reach",
    "reach_source",
    "impact",
    "confidence",
    "effort",
    "evidence_count",
    "target_quarter",
    "updated_at",
)


def _board_initiatives(viewer, filters: dict | None = None):
    """Everything but archived work, in rank order (the selector's order), as cards."""
    return (
        initiative_list(viewer=viewer, filters=filters)
        .exclude(status=Initiative.Status.ARCHIVED)
        .select_related(None)
        .only(*CARD_FIELDS)
        .with_ranks(False)  # the lanes' cards get theirs in one query (_board_context)
    )


def _column(lane: str, label: str, cards: list, count: int, offset: int) -> dict:
    """A lane's cards from `offset` on, and how many follow them."""
    shown = offset + len(cards)
    return {
        "lane": lane,
        "label": label,
        "cards": cards,
        "count": count,
        "shown": shown,
        "more": count - shown,
        "next": min(LANE_CARDS, count - shown),
    }


def _board_context(viewer, data: QueryDict, status_message: str = "") -> dict:
    form = BoardFilterForm(data, teams=initiative_teams(viewer=viewer))
    filters, shipped_mode = form.filters(), form.shipped_mode()
    listed = _board_initiatives(viewer, filters)
    # Shipped work leaves the lanes: for a Done column, a strip of the latest, or nowhere.
    planned = listed.exclude(status=Initiative.Status.SHIPPED)
    shipped = listed.filter(status=Initiative.Status.SHIPPED).order_by("-updated_at", "-id")
    # Each initiative is one row (filters by objective are subqueries): a plain
    # COUNT, an index-only scan of initiative_alignment_view.
    counts = dict(planned.order_by().values_list("lane").annotate(n=Count("pk")))
    columns = []
    for lane, label in Initiative.Lane.choices:
        cards = list(planned.filter(lane=lane)[:LANE_CARDS]) if counts.get(lane) else []
        columns.append(_column(lane, label, cards, counts.get(lane, 0), 0))
    shipped_count = shipped.order_by().count()
    shown = {"lane": LANE_CARDS, "strip": SHIPPED_STRIP, "hide": 0}[shipped_mode]
    shipped_cards = list(shipped[:shown]) if shipped_count and shown else []
    attach_ranks([card for column in columns for card in column["cards"]])
    return {
        "columns": columns,
        "lanes": Initiative.Lane.choices,
        "total": sum(counts.values()) + shipped_count,
        "filter_form": form,
        "active_filters": filters,
        "filter_query": urlencode({**filters, "status": "shipped"}),
        "shipped_mode": shipped_mode,
        "shipped_cards": shipped_cards,
        "shipped_count": shipped_count,
        "shipped_more": shipped_count - len(shipped_cards),
        "status_message": status_message,
    }


@require_safe
@viewer_required
def board(request):
    context = _board_context(request.user, request.GET)
    if request.htmx and request.htmx.target == "board":
        return render(request, "roadmap/_board.html", context)
    return render(request, "roadmap/board.html", context)


@require_safe
@viewer_required
def board_lane(request, lane: str):
    """The next cards of one lane ("Show more"), under the board's filters (htmx)."""
    label = dict(Initiative.Lane.choices).get(lane)
    form = LaneMoreForm(request.GET)
    if label is None or not form.is_valid():
        return HttpResponseBadRequest("Not a lane of the board, or not a place in it.")
    offset = form.cleaned_data["offset"]
    filters = BoardFilterForm(request.GET, teams=initiative_teams(viewer=request.user)).filters()
    planned = _board_initiatives(request.user, filters).exclude(status=Initiative.Status.SHIPPED)
    in_lane = planned.filter(lane=lane)
    cards = list(in_lane[offset : offset + LANE_CARDS])
    attach_ranks(cards)
    count = in_lane.order_by().count()
    column = _column(lane, label, cards, count, offset)
    return render(
        request, "roadmap/_lane_more.html", {"column": column, "lanes": Initiative.Lane.choices}
    )


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
        context = _board_context(request.user, request.POST, status_message)
        return render(request, "roadmap/_board.html", context)
    messages.info(request, status_message)
    return redirect("roadmap:board")
