"""The OKR page: objective tree, key-result progress, check-ins and metric trends."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from access.views import role_required
from okrs import services
from okrs.forms import CheckInForm, PeriodFilterForm
from okrs.models import KeyResult
from okrs.permissions import can_edit_okrs, can_view_okrs
from okrs.selectors import (
    check_ins_for_key_results,
    key_result_get_for_user,
    objective_child_counts,
    objective_periods,
    objective_tree,
)
from okrs.views.key_result_page import key_result_chart_for

# What the tree's chart of each key result reads (the key result's page reads more).
TREE_CHART_READINGS = 60
TREE_CHART_CHECK_INS = 30


def _chart(viewer, kr: KeyResult):
    """Its metric's readings and its check-ins on one time axis, as the tree draws it."""
    return key_result_chart_for(
        viewer, kr, readings=TREE_CHART_READINGS, check_ins=TREE_CHART_CHECK_INS, height=150
    )


def _last_check_ins(viewer, key_result_ids) -> dict:
    """Each key result's last check-in (key results without one are left out)."""
    last = check_ins_for_key_results(viewer=viewer, key_result_ids=key_result_ids, per_key_result=1)
    return {kr_id: rows[-1] for kr_id, rows in last.items() if rows}


def _entry(request, kr: KeyResult, last_check_in, form=None, chart=None) -> dict:
    """A key result of the tree. `chart` None: the page fetches it when it scrolls into view."""
    prefix = f"kr{kr.pk}"
    if form is None and can_edit_okrs(request.user):
        form = CheckInForm(
            prefix=prefix,
            initial={
                "value": int(kr.current) if kr.current.is_integer() else kr.current,
                "confidence": kr.confidence,
            },
        )
    return {
        "kr": kr,
        "chart": chart,
        "chart_id": f"kr-chart-{kr.pk}",
        "form": form,
        "last_check_in": last_check_in,
    }


@require_safe
@role_required(can_view_okrs)
def index(request):
    periods = objective_periods(viewer=request.user)
    period_form = PeriodFilterForm(request.GET, periods=periods)
    period = period_form.cleaned_data["period"] if period_form.is_valid() else ""
    tree = objective_tree(viewer=request.user, filters={"period": period})
    key_results = [kr for objective, _ in tree for kr in objective.key_results.all()]
    # Only each key result's last check-in: its chart comes on its own request (`chart`).
    last = _last_check_ins(request.user, [kr.pk for kr in key_results])
    rolls_up = objective_child_counts(viewer=request.user, objective_ids=[o.pk for o, _ in tree])
    objectives = [
        {
            "objective": objective,
            "depth": depth,
            "rolls_up": rolls_up.get(objective.pk, 0),
            "entries": [_entry(request, kr, last.get(kr.pk)) for kr in objective.key_results.all()],
        }
        for objective, depth in tree
    ]
    return render(
        request,
        "okrs/index.html",
        {
            "objectives": objectives,
            "period_form": period_form,
            "period": period,
            "editable": can_edit_okrs(request.user),
        },
    )


@require_POST
@role_required(can_edit_okrs)
def check_in(request, pk: int):
    kr = key_result_get_for_user(viewer=request.user, pk=pk)
    form = CheckInForm(request.POST, prefix=f"kr{kr.pk}")
    saved = False
    if form.is_valid():
        try:
            services.check_in_create(actor=request.user, key_result=kr, **form.cleaned_data)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            saved = True
            kr = key_result_get_for_user(viewer=request.user, pk=pk)
            form = None
    if not request.htmx:
        if form is not None and form.errors:
            problems = " ".join(e for errors in form.errors.values() for e in errors)
            messages.error(request, f"The check-in was not saved: {problems}")
        elif saved:
            messages.success(request, "Checked in. Aligned initiatives are re-prioritised.")
        if request.POST.get("next") == "key-result":
            return redirect("okrs:key-result", pk=kr.pk)
        return redirect("okrs:index")
    last = _last_check_ins(request.user, [kr.pk])
    context = {
        "entry": _entry(
            request,
            kr,
            last.get(kr.pk),
            form=form,
            chart=_chart(request.user, kr),
        ),
        "saved": saved,
        "objective": kr.objective,
        "aligned_count": kr.alignments.count() if saved else 0,
    }
    return render(request, "okrs/_check_in_response.html", context)


@require_safe
@role_required(can_view_okrs)
def chart(request, pk: int):
    """One key result's chart for the tree, fetched as it scrolls into view (htmx)."""
    kr = key_result_get_for_user(viewer=request.user, pk=pk)
    entry = {"chart": _chart(request.user, kr), "chart_id": f"kr-chart-{kr.pk}"}
    return render(request, "okrs/_key_result_chart.html", {"entry": entry})
