"""The initiative page's score history: the chart's data, the timeline (load more) and a compare."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from roadmap.selectors_history import initiative_snapshots, snapshots_compare

from ._access import viewer_required

TIMELINE_PAGE = 20
CHART_POINTS = 500  # the newest; older ones are in the timeline
COMPARED = [
    ("Reach", "reach"),
    ("Impact", "impact"),
    ("Confidence", "confidence"),
    ("Effort", "effort"),
    ("Score before alignment", "rice_score"),  # RICE, ICE, WSJF or the formula
    ("Alignment", "alignment_score"),
    ("Priority", "priority_score"),
    ("Rank", "rank"),
]


def history_chart(*, viewer, initiative_id: int) -> dict:
    """The chart's points, oldest first: epoch milliseconds, priority, rank (a step each)."""
    rows = list(
        initiative_snapshots(viewer=viewer, initiative_id=initiative_id).values_list(
            "created_at", "priority_score", "rank"
        )[:CHART_POINTS]
    )
    rows.reverse()
    return {
        "points": [
            {"t": int(at.timestamp() * 1000), "priority": round(priority, 2), "rank": rank}
            for at, priority, rank in rows
        ]
    }


def timeline_page(*, viewer, initiative_id: int, before: int | None = None) -> dict:
    """One page of the timeline, newest first, before snapshot id `before` (keyset)."""
    qs = initiative_snapshots(viewer=viewer, initiative_id=initiative_id)
    if before is not None:
        qs = qs.filter(id__lt=before)
    rows = list(qs[: TIMELINE_PAGE + 1])
    more = len(rows) > TIMELINE_PAGE
    rows = rows[:TIMELINE_PAGE]
    return {
        "timeline": rows,
        "timeline_next": rows[-1].pk if more else None,
        "timeline_initiative": initiative_id,
    }


def _before(request) -> int | None:
    raw = request.GET.get("before")
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit():
        raise Http404("No such page.")
    return int(raw)


@require_GET
@viewer_required
def initiative_timeline(request, pk: int):
    """The next page of the timeline (htmx: appended in place of the "Older" button)."""
    context = timeline_page(viewer=request.user, initiative_id=pk, before=_before(request))
    return render(request, "roadmap/partials/score_timeline_items.html", context)


def _ids(request) -> list[int]:
    raw = request.GET.getlist("s")
    if not 1 <= len(raw) <= 2 or not all(v.isascii() and v.isdigit() for v in raw):
        raise Http404("Pick one or two snapshots.")
    return [int(v) for v in raw]


@require_GET
@viewer_required
def snapshot_compare(request, pk: int):
    """Two snapshots factor by factor; one alone is compared with the one before it."""
    ids = _ids(request)
    if len(ids) == 1:
        previous = (
            initiative_snapshots(viewer=request.user, initiative_id=pk)
            .filter(id__lt=ids[0])
            .values_list("id", flat=True)
            .first()
        )
        if previous is None:
            raise Http404("No earlier snapshot.")
        ids.append(previous)
    rows = snapshots_compare(viewer=request.user, initiative_id=pk, ids=ids)
    older, newer = rows[0], rows[-1]  # one row: a snapshot picked twice, compared with itself
    factors = [
        {
            "label": label,
            "older": getattr(older, name),
            "newer": getattr(newer, name),
            "change": _change(getattr(older, name), getattr(newer, name)),
            "rank": name == "rank",
        }
        for label, name in COMPARED
    ]
    return render(
        request,
        "roadmap/partials/snapshot_compare.html",
        {"older": older, "newer": newer, "rows": factors},
    )


def _change(older, newer) -> float | None:
    if older is None or newer is None:
        return None
    return newer - older
