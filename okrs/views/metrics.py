"""The metrics page: each metric's latest value and the key results tracking it.

Product adds, edits (in place, one table row at a time) and deletes metrics;
a metric's key is fixed once created, since integrations push readings by it.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from okrs import services
from okrs.forms import MetricCreateForm, MetricForm
from okrs.models import Metric
from okrs.permissions import can_edit_okrs
from okrs.selectors import metric_get_for_user, metric_overview
from web.edits import fingerprint_edit
from web.forms import apply_service_errors
from web.htmx import redirect_after_write

from ._access import editor_required, viewer_required


def _row(viewer, key: str):
    try:
        return metric_overview(viewer=viewer).get(key=key)
    except Metric.DoesNotExist:
        raise Http404("No such metric.") from None


def _page(request, *, add_form=None, status=200):
    editable = can_edit_okrs(request.user)
    context = {
        "rows": list(metric_overview(viewer=request.user)),
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
    template = "okrs/_metric_row.html" if request.htmx else "okrs/metric_page.html"
    return render(request, template, context, status=status)


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
    """One metric's row as it reads (what "Cancel" puts back)."""
    return _row_response(request, _row(request.user, key))


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
