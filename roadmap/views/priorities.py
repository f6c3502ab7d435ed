"""The ranked priority table: filters, inline RICE editing, score breakdowns."""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import cached_property
from django.views.decorators.http import require_http_methods, require_safe

from okrs.services import StaleVersion
from roadmap import scoring, services
from roadmap.csv_export import csv_stream_response, priorities_table
from roadmap.forms import RICE_FIELDS, PriorityFilterForm, RiceForm
from roadmap.selectors import (
    PRIORITY_SORTS,
    initiative_get_for_user,
    initiative_list,
    initiative_teams,
    quarantine_list,
)
from roadmap.services.policy import policy_current
from web.forms import apply_service_errors

from ._access import editor_required, viewer_required

FILTER_FIELDS = ("status", "lane", "team", "objective", "unaligned", "search")
# Rows per page of the table: a workspace of 10,000 initiatives rendered whole
# is 16 MB of HTML and seconds of server time.
PAGE_SIZE = 100


class Column(NamedTuple):
    sort: str
    label: str
    numeric: bool = False
    # The direction a first click sorts in: best first for scores, least effort first.
    first: str = "desc"
    hint: str = ""


COLUMNS = (
    Column("rank", "Rank", numeric=True, first="asc"),
    Column("title", "Initiative", first="asc"),
    Column("reach", "Reach", numeric=True, hint="People or events per quarter"),
    Column("impact", "Impact"),
    Column("confidence", "Conf.", numeric=True, hint="Confidence"),
    Column("effort", "Effort", numeric=True, first="asc", hint="Person-months"),
    Column("rice", "RICE", numeric=True),
    Column("alignment", "Align.", numeric=True),
    Column("priority", "Priority", numeric=True),
    Column("objectives", "Objectives", hint="Number of objectives it is aligned to"),
)


def _sort(data: QueryDict) -> str:
    sort = data.get("sort", "") or "rank"
    return sort if sort.removeprefix("-") in PRIORITY_SORTS else "rank"


def _header(filters: dict, sort: str, score: str) -> list[dict]:
    """Each column's link: the other direction when it is the sorted one.

    `score`: the name of the policy's framework score (`scoring.score_label`).
    """
    key, descending = sort.removeprefix("-"), sort.startswith("-")
    header = []
    for column in COLUMNS:
        if column.sort == "rice":
            column = column._replace(label=score)
        if column.sort == key:
            state = "descending" if descending else "ascending"
            target = column.sort if descending else f"-{column.sort}"
        else:
            state = ""
            target = f"-{column.sort}" if column.first == "desc" else column.sort
        header.append(
            {"column": column, "state": state, "query": urlencode({**filters, "sort": target})}
        )
    return header


class _CountedPaginator(Paginator):
    """A paginator told its count (taken with the ranked count in one query)."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


def _filter_form(viewer, data: QueryDict) -> PriorityFilterForm:
    filter_data = {name: data.get(name, "") for name in FILTER_FIELDS}
    return PriorityFilterForm(filter_data, teams=initiative_teams(viewer=viewer))


def _table_context(viewer, data: QueryDict, highlight: int | None = None) -> dict:
    form = _filter_form(viewer, data)
    filters = form.filters()
    sort = _sort(data)
    policy = policy_current()
    listed = initiative_list(viewer=viewer, filters=filters, sort=sort)
    # Each initiative is one row (filters by objective are subqueries): plain
    # counts, an index-only scan of initiative_rank_key_id when nothing is filtered.
    counts = listed.order_by().aggregate(total=Count("pk"), ranked=Count("rank_key"))
    page = _CountedPaginator(listed, PAGE_SIZE, count=counts["total"]).get_page(data.get("page"))
    query = urlencode({**filters, "sort": sort} if sort != "rank" else filters)
    return {
        "filter_form": form,
        "rows": list(page.object_list),
        "page": page,
        "total": counts["total"],
        "ranked": counts["ranked"],
        "unranked": counts["total"] - counts["ranked"],
        "active_filters": filters,
        "filter_query": query,
        "sort": sort,
        "export_query": urlencode({**filters, "sort": sort}),
        "header": _header(filters, sort, scoring.score_label(policy.framework)),
        "policy_formula": scoring.policy_description(policy),
        "highlight": highlight,
    }


@require_safe
@viewer_required
def priorities(request):
    context = _table_context(request.user, request.GET)
    if request.htmx and request.htmx.target == "priority-table":
        return render(request, "roadmap/_priority_table.html", context)
    context["quarantined"] = quarantine_list(viewer=request.user)
    return render(request, "roadmap/priorities.html", context)


@require_safe
@viewer_required
def priorities_export(request):
    """The table as CSV, every page of it, with the filters and sort of the link."""
    filters = _filter_form(request.user, request.GET).filters()
    listed = initiative_list(viewer=request.user, filters=filters, sort=_sort(request.GET))
    header, rows = priorities_table(listed)
    return csv_stream_response(f"priorities-{timezone.localdate().isoformat()}.csv", header, rows)


@require_safe
@viewer_required
def priority_row(request, pk: int):
    """One row of the table, read-only (what "Cancel" puts back)."""
    initiative = initiative_get_for_user(viewer=request.user, pk=pk)
    return render(request, "roadmap/_priority_row.html", {"row": initiative})


@require_http_methods(["GET", "POST"])
@editor_required
def priority_edit(request, pk: int):
    """Inline RICE editing. On save the whole table re-renders so every rank is current."""
    initiative = initiative_get_for_user(viewer=request.user, pk=pk)
    conflict = None
    if request.method == "POST":
        form = RiceForm(request.POST, instance=initiative)
        if form.is_valid():
            try:
                services.initiative_update(
                    actor=request.user,
                    initiative=initiative,
                    data={name: form.cleaned_data[name] for name in RICE_FIELDS},
                    expected_version=form.cleaned_data["version"],
                )
            except StaleVersion as exc:
                # Show what is saved now; keep what was typed, re-based on the new version
                # (bound to a fresh instance, since validating a form writes to its instance).
                conflict = exc.current
                data = request.POST.copy()
                data["version"] = str(conflict.version)
                form = RiceForm(data, instance=initiative_get_for_user(viewer=request.user, pk=pk))
                form.is_valid()
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                context = _table_context(request.user, request.POST, highlight=initiative.pk)
                if request.htmx:
                    response = render(request, "roadmap/_priority_table.html", context)
                    response["HX-Retarget"] = "#priority-table"
                    response["HX-Reswap"] = "outerHTML"
                    return response
                return redirect("roadmap:priorities")
    elif not request.htmx:
        return redirect("roadmap:initiative", pk=initiative.pk)
    else:
        form = RiceForm(instance=initiative)
    return render(
        request,
        "roadmap/_priority_row_edit.html",
        {"row": initiative, "form": form, "conflict": conflict},
    )


@require_safe
@viewer_required
def initiative_breakdown(request, pk: int):
    initiative = initiative_get_for_user(viewer=request.user, pk=pk)
    return render(request, "roadmap/_breakdown.html", {"initiative": initiative})
