"""A key result's own page: its chart (readings and check-ins on one time axis), a check-in
form, and every check-in with its note and author, newest first, twenty at a time."""

from __future__ import annotations

from datetime import UTC, datetime

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from okrs.forms import CheckInForm
from okrs.permissions import can_edit_okrs
from okrs.selectors import (
    check_in_page,
    check_ins_for_key_results,
    key_result_get_for_user,
    readings_for_metrics,
)
from web.charts import Point, Series, time_chart

from ._access import viewer_required
from .objectives import key_result_entries

CHECK_INS_PER_PAGE = 20
CHART_POINTS = 200


def encode_cursor(cursor: tuple | None) -> str:
    """(checked_at, id) as `<UTC ISO time>Z_<id>`: nothing in it needs escaping in a URL."""
    if not cursor:
        return ""
    return f"{cursor[0].astimezone(UTC):%Y-%m-%dT%H:%M:%S.%f}Z_{cursor[1]}"


def decode_cursor(raw: str) -> tuple | None:
    """`<checked_at ISO>_<id>` as written by encode_cursor; anything else is a 404."""
    if not raw:
        return None
    at, _, pk = raw.rpartition("_")
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        raise Http404("No such page of check-ins.") from None
    if not pk.isdigit() or moment.tzinfo is None:
        raise Http404("No such page of check-ins.")
    return moment, int(pk)


def key_result_chart(kr, readings, check_ins, *, height: int = 240):
    """The key result's metric readings and its check-ins on one time axis, with its target.

    `readings` and `check_ins` oldest first (as readings_for_metrics and
    check_ins_for_key_results give them): the caller reads them for many key
    results at once.
    """
    series = []
    if readings:
        name = f"Readings of {kr.metric.key}"
        series.append(Series(name, [Point(r.observed_at, r.value, r.source) for r in readings]))
    if check_ins:
        points = [Point(c.checked_at, c.value, c.note) for c in check_ins]
        series.append(Series("Check-ins", points, style="points", tone="green"))
    return time_chart(
        series,
        guides=[("Target", kr.target)],
        label=f"Readings and check-ins of {kr.title} over time, with its target",
        height=height,
    )


def key_result_chart_for(
    viewer, kr, *, readings: int = CHART_POINTS, check_ins: int = CHART_POINTS, height: int = 240
):
    """`key_result_chart` of one key result: its metric's latest `readings` and latest
    `check_ins`, each read by a LIMITed probe of its index."""
    latest = readings_for_metrics(viewer=viewer, metric_ids=[kr.metric_id], per_metric=readings)
    recent = check_ins_for_key_results(
        viewer=viewer, key_result_ids=[kr.pk], per_key_result=check_ins
    ).get(kr.pk, [])
    return key_result_chart(kr, latest.get(kr.metric_id, []), recent, height=height)


@require_safe
@viewer_required
def key_result_detail(request, pk: int):
    kr = key_result_get_for_user(viewer=request.user, pk=pk)
    rows, cursor = check_in_page(viewer=request.user, key_result=kr, size=CHECK_INS_PER_PAGE)
    editable = can_edit_okrs(request.user)
    context = {
        "entry": key_result_entries(request.user, [kr])[0],
        "own_page": True,  # every check-in is listed below: the item shows no recent ones
        "objective": kr.objective,
        "editable": editable,
        "chart": key_result_chart_for(request.user, kr),
        "check_ins": rows,
        "next_cursor": encode_cursor(cursor),
        "check_in_form": CheckInForm(
            prefix=f"kr{kr.pk}",
            initial={"value": f"{kr.current:g}", "confidence": kr.confidence},
        )
        if editable
        else None,
    }
    return render(request, "okrs/key_result_page.html", context)


@require_safe
@viewer_required
def key_result_check_ins(request, pk: int):
    """The next page of check-ins (rows and a "Show more" button), for htmx or a plain link."""
    kr = key_result_get_for_user(viewer=request.user, pk=pk)
    before = decode_cursor(request.GET.get("before", ""))
    rows, cursor = check_in_page(
        viewer=request.user, key_result=kr, before=before, size=CHECK_INS_PER_PAGE
    )
    context = {"kr": kr, "check_ins": rows, "next_cursor": encode_cursor(cursor)}
    template = "okrs/_check_in_rows.html" if request.htmx else "okrs/check_ins_page.html"
    return render(request, template, context)
