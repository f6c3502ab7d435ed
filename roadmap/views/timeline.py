"""The timeline: bars across quarters grouped by team or objective, capacity, drag to re-plan."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from okrs.models import Objective
from okrs.services import StaleVersion
from roadmap import services
from roadmap.forms_timeline import CapacityForm, ScheduleForm, TimelineFilterForm
from roadmap.models import TeamCapacity
from roadmap.permissions import can_edit_roadmap
from roadmap.planning import quarter_index, quarter_shift
from roadmap.selectors import initiative_get_for_user, initiative_teams
from roadmap.selectors_timeline import TimelineFilters, timeline_page

from ._access import editor_required, viewer_required

FILTER_FIELDS = ("group", "lane", "status", "team", "objective", "plan", "start")


def _teams(viewer) -> list[str]:
    with_capacity = TeamCapacity.objects.values_list("team", flat=True).distinct()
    return sorted(set(initiative_teams(viewer=viewer)) | set(with_capacity), key=str.lower)


def _filters(data: QueryDict) -> tuple[TimelineFilterForm, TimelineFilters]:
    objectives = list(Objective.objects.order_by("title", "id").values_list("id", "title"))
    form = TimelineFilterForm(
        {name: data.get(name, "") for name in (*FILTER_FIELDS, "page")}, objectives=objectives
    )
    return form, form.filters()


def _query(filters: TimelineFilters, **changes) -> str:
    """The query string of this view with `changes` (page 1 unless told)."""
    values = {
        "group": filters.group,
        "lane": filters.lane,
        "status": filters.status,
        "team": filters.team,
        "objective": filters.objective or "",
        "plan": filters.plan,
        "start": filters.first,
        "page": 1,
    }
    values.update(changes)
    for name, default in (("page", 1), ("group", "team")):
        if values[name] == default:
            del values[name]
    return urlencode({k: v for k, v in values.items() if v not in ("", None)})


def _bar(row, quarters: list[str]) -> dict:
    """Where a row's bar sits in the window's columns (clipped at its edges)."""
    first = quarter_index(quarters[0])
    if not row.start_quarter:
        return {"scheduled": False}
    start, end = quarter_index(row.start_quarter), quarter_index(row.end_quarter)
    left, right = max(start, first), min(end, first + len(quarters) - 1)
    span = end - start + 1
    return {
        "scheduled": True,
        "before": range(left - first),  # empty cells before and after the bar's
        "cols": right - left + 1,
        "after": range(first + len(quarters) - 1 - right),
        "clipped_start": start < first,
        "clipped_end": end > first + len(quarters) - 1,
        "span": span,
        "per_quarter": row.effort / span,
    }


def _context(viewer, data: QueryDict, status_message: str = "") -> dict:
    form, filters = _filters(data)
    page = timeline_page(viewer=viewer, filters=filters)
    form.set_teams(page.teams)
    for group in page.groups:
        for row in group.rows:
            row.bar = _bar(row, page.quarters)
    return {
        "form": form,
        "filters": filters,
        "plan": page,
        "editable": can_edit_roadmap(viewer),
        "query": _query(filters, page=page.page),
        "earlier": _query(filters, start=quarter_shift(filters.first, -1)),
        "later": _query(filters, start=quarter_shift(filters.first, 1)),
        "previous_page": _query(filters, page=page.page - 1) if page.page > 1 else None,
        "next_page": _query(filters, page=page.page + 1) if page.page < page.pages else None,
        "status_message": status_message,
    }


@require_safe
@viewer_required
def timeline(request):
    template = "roadmap/_timeline.html" if request.htmx else "roadmap/timeline.html"
    return render(request, template, _context(request.user, request.GET))


@require_POST
@editor_required
def initiative_schedule(request, pk: int):
    """A bar moved or stretched: save its quarters, answer with the timeline redrawn."""
    initiative = initiative_get_for_user(viewer=request.user, pk=pk)
    form = ScheduleForm(request.POST)
    status = 200
    if not form.is_valid():
        status, message = 422, "; ".join(m for ms in form.errors.values() for m in ms)
    else:
        try:
            initiative = services.initiative_schedule(
                actor=request.user,
                initiative=initiative,
                start_quarter=form.cleaned_data["start_quarter"],
                end_quarter=form.cleaned_data["end_quarter"],
                expected_version=form.cleaned_data["version"],
            )
        except StaleVersion:
            status = 409
            message = (
                f"“{initiative.title}” was changed by someone else; "
                "the timeline now shows the current plan."
            )
        except ValidationError as exc:
            status, message = 422, "; ".join(exc.messages)
        else:
            if initiative.start_quarter:
                where = f"{initiative.start_quarter} to {initiative.end_quarter}"
                if initiative.start_quarter == initiative.end_quarter:
                    where = initiative.start_quarter
                message = f"Planned “{initiative.title}” for {where}."
            else:
                message = f"“{initiative.title}” is unscheduled."
    if request.htmx:
        context = _context(request.user, request.GET, status_message=message)
        return render(request, "roadmap/_timeline.html", context, status=status)
    messages.info(request, message)
    return redirect(f"{reverse('roadmap:timeline')}?{request.GET.urlencode()}")


@require_http_methods(["GET", "POST"])
@editor_required
def capacity(request):
    """Person-months per team and quarter for the timeline's window."""
    _form, filters = _filters(request.GET)
    quarters = filters.window
    teams = _teams(request.user)
    current = {
        (c.team, c.quarter): c.person_months
        for c in TeamCapacity.objects.filter(quarter__in=quarters)
    }
    form = CapacityForm(request.POST or None, teams=teams, quarters=quarters, current=current)
    back = f"{reverse('roadmap:timeline')}?{_query(filters)}"
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.team_capacities_set(actor=request.user, values=form.values())
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "Capacity saved.")
                return redirect(back)
        status = 422
    context = {
        "form": form,
        "quarters": quarters,
        "back": back,
        "earlier": _query(filters, start=quarter_shift(filters.first, -1)),
        "later": _query(filters, start=quarter_shift(filters.first, 1)),
    }
    return render(request, "roadmap/capacity.html", context, status=status)
