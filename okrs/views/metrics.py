"""The metrics page and a metric's own page.

The metrics page lists every metric with its latest value, its change since
the current quarter began (okrs.selectors_metrics), a 13-week sparkline and
the key results tracking it. A metric's page charts its history over a chosen
period (30 days, 90 days, a year, everything; downsampled by the database)
and lists its readings newest first, a keyset page at a time.

Product adds, edits (in place, one table row at a time) and deletes metrics;
a metric's key is fixed once created, since integrations push readings by it.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from okrs import services
from okrs.forms import MetricCreateForm, MetricForm
from okrs.models import Metric
from okrs.permissions import can_edit_okrs
from okrs.selectors import metric_get_for_user
from okrs.selectors_metrics import (
    DEFAULT_PERIOD,
    PERIODS,
    RAW_MAX,
    metric_board,
    metric_history,
    metric_sparklines,
    parse_cursor,
    period_change,
    quarter_start,
    reading_page,
)
from web.charts import Point, Series, format_value, sparkline, time_chart
from web.edits import fingerprint_edit
from web.forms import apply_service_errors
from web.htmx import redirect_after_write

from ._access import editor_required, viewer_required


def _decorate(viewer, rows: list[Metric]) -> list[Metric]:
    """Give each row its period change (`change`, `change_tone`) and sparkline (`spark`)."""
    series = metric_sparklines(viewer=viewer, metric_ids=[row.pk for row in rows])
    for row in rows:
        row.change = period_change(row)
        if row.change is not None:
            sign = "+" if row.change > 0 else ("\N{MINUS SIGN}" if row.change < 0 else "±")
            row.change_text = f"{sign}{format_value(abs(row.change))}"
        if not row.change:
            row.change_tone = "flat"
        else:
            better = (row.change > 0) == (row.direction == Metric.Direction.HIGHER_IS_BETTER)
            row.change_tone = "good" if better else "bad"
        row.spark = sparkline(
            series.get(row.pk, []), label=f"{row.key} at the end of each of the last 13 weeks"
        )
    return rows


def _row(viewer, key: str):
    try:
        row = metric_board(viewer=viewer).get(key=key)
    except Metric.DoesNotExist:
        raise Http404("No such metric.") from None
    return _decorate(viewer, [row])[0]


def _page(request, *, add_form=None, status=200):
    editable = can_edit_okrs(request.user)
    context = {
        "rows": _decorate(request.user, list(metric_board(viewer=request.user))),
        "period_start": quarter_start(),
        "editable": editable,
        "add_form": add_form or (MetricCreateForm() if editable else None),
    }
    return render(request, "okrs/metrics.html", context, status=status)


def _row_response(request, row, *, form=None, conflict=None, status=200, saved=False):
    context = {
        "row": row,
        "form": form,
        "conflict": conflict,
        "saved": saved,
        "editable": can_edit_okrs(request.user),
    }
    if request.htmx:
        return render(request, "okrs/_metric_row.html", context, status=status)
    return _metric_page(request, row, context, status=status)


def _chart(viewer, metric: Metric, period: str):
    history = metric_history(viewer=viewer, metric=metric, days=PERIODS[period])
    how = f"the last reading of each {history.bucket}" if history.bucket else "each reading"
    label = f"{metric.key} over {_PERIOD_NAMES[period]}: {how}"
    chart = time_chart(
        [Series(metric.name, [Point(p.at, p.value) for p in history.points])],
        label=label,
        start=history.start,
        end=timezone.now() if history.start else None,
        height=280,
    )
    return chart, history


_PERIOD_NAMES = {"30d": "30 days", "90d": "90 days", "1y": "a year", "all": "all time"}


def _metric_page(request, row, context, *, status=200):
    period = request.GET.get("period") or DEFAULT_PERIOD
    if period not in PERIODS:
        return HttpResponseBadRequest("Unknown period: use 30d, 90d, 1y or all.")
    after = None
    if request.GET.get("after"):
        try:
            after = parse_cursor(request.GET["after"])
        except ValueError:
            return HttpResponseBadRequest("Malformed ?after= cursor: follow the page's own link.")
    chart, history = _chart(request.user, row, period)
    context |= {
        "chart": chart,
        "history": history,
        "period": period,
        "periods": [(key, _PERIOD_NAMES[key]) for key in PERIODS],
        "page": reading_page(viewer=request.user, metric=row, after=after),
        "first_page": after is None,
        "period_start": quarter_start(),
        "raw_max": RAW_MAX,
    }
    if request.htmx and request.htmx.target == "metric-chart":
        return render(request, "okrs/_metric_chart.html", context, status=status)
    if request.htmx and request.htmx.target == "metric-readings":
        return render(request, "okrs/_metric_readings.html", context, status=status)
    return render(request, "okrs/metric_page.html", context, status=status)


@require_safe
@viewer_required
def metrics(request):
    return _page(request)


@require_POST
@editor_required
def metric_add(request):
    form = MetricCreateForm(request.POST)
    if form.is_valid():
        try:
            metric = services.metric_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Added the metric “{metric.key}”.")
            return redirect_after_write(request, reverse("okrs:metrics"))
    if request.htmx:
        return render(request, "okrs/_metric_add.html", {"add_form": form}, status=422)
    return _page(request, add_form=form, status=422)


@require_safe
@viewer_required
def metric_row(request, key: str):
    """The metric's page; to htmx, its row as it reads (what "Cancel" puts back), its chart
    for another period (target #metric-chart) or the next readings (#metric-readings)."""
    row = _row(request.user, key)
    if request.htmx and request.htmx.target in ("metric-chart", "metric-readings"):
        context = {"row": row, "editable": can_edit_okrs(request.user)}
        return _metric_page(request, row, context)
    return _row_response(request, row)


@require_http_methods(["GET", "POST"])
@editor_required
def metric_edit(request, key: str):
    def saved():
        messages.success(request, f"Saved the metric “{key}”.")
        return redirect_after_write(request, reverse("okrs:metrics"))

    return fingerprint_edit(
        request,
        form_class=MetricForm,
        row=lambda: _row(request.user, key),
        instance=lambda: metric_get_for_user(viewer=request.user, key=key),
        update=lambda metric, **change: services.metric_update(
            actor=request.user, metric=metric, **change
        ),
        fingerprint=services.metric_fingerprint,
        respond=lambda row, **context: _row_response(request, row, **context),
        saved=saved,
    )


@require_POST
@editor_required
def metric_delete(request, key: str):
    metric = metric_get_for_user(viewer=request.user, key=key)
    services.metric_delete(actor=request.user, metric=metric)
    messages.success(
        request, f"Deleted the metric “{key}”. Key results that tracked it keep their last value."
    )
    return redirect_after_write(request, reverse("okrs:metrics"))
