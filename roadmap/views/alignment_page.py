"""The Alignment page for marketing: which objectives and segments the roadmap serves.

Readable by product and marketing (and superusers); an account without one of
those roles gets 403, an anonymous visitor the login page. Every table on the
page downloads as CSV: `/alignment/export/<table>.csv` or
`/alignment/?format=csv&table=<table>`, with the page's filters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from access.views import role_required
from okrs.selectors import objective_team_labels
from roadmap.csv_export import TABLES, csv_response, export_filename
from roadmap.models import Initiative
from roadmap.permissions import can_view_alignment
from roadmap.selectors_alignment import (
    LOW_PROGRESS,
    MIN_INITIATIVES,
    AlignmentFilters,
    alignment_effort,
    alignment_filter_choices,
    alignment_matrix,
    alignment_unaligned,
    alignment_unserved,
)
from roadmap.selectors_alignment.segment_table import (
    SegmentTable,
    alignment_segment_table,
    segment_key,
)
from roadmap.services.segment_counts import segment_counts_counted_at, segment_counts_refresh

HEAT_LEVELS = 5
# One tab per request: each reads only its own section. The matrix pages its
# initiative columns, the lists their rows; the CSVs have everything.
TABS = {
    "matrix": "Matrix",
    "unaligned": "Unaligned work",
    "unserved": "Unserved goals",
    "effort": "Effort",
    "segments": "Segments",
}
SEGMENT_SORTS = {"evidence": "Evidence", "revenue": "Revenue", "customers": "Customers"}
MATRIX_COLUMNS = 40
LIST_ROWS = 50
HEAT_ROWS = 50


@dataclass(frozen=True)
class Window:
    """One page of a list of `count` items, `size` a page (1-based `number`)."""

    number: int
    size: int
    count: int

    @classmethod
    def of(cls, raw: str | None, size: int, count: int) -> Window:
        pages = max(1, math.ceil(count / size))
        try:
            number = int(raw or 1)
        except ValueError:
            number = 1
        return cls(min(max(number, 1), pages), size, count)

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def num_pages(self) -> int:
        return max(1, math.ceil(self.count / self.size))

    @property
    def first(self) -> int:
        return self.offset + 1 if self.count else 0

    @property
    def last(self) -> int:
        return min(self.offset + self.size, self.count)

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.num_pages else None


alignment_viewer_required = role_required(can_view_alignment)


class AlignmentFilterForm(forms.Form):
    period = forms.ChoiceField(required=False, label="Period")
    lane = forms.ChoiceField(
        required=False, label="Lane", choices=[("", "All lanes"), *Initiative.Lane.choices]
    )
    team = forms.ChoiceField(required=False, label="Team")

    def __init__(self, data, *, periods: list[str], teams: list[str]):
        super().__init__(data)
        self.fields["period"].choices = [("", "All periods"), *((p, p) for p in periods)]
        self.fields["team"].choices = [("", "All teams"), *((t, t) for t in teams)]

    def filters(self) -> AlignmentFilters:
        """The valid filters; an invalid one is reported on the form and ignored."""
        self.is_valid()
        data = self.cleaned_data
        return AlignmentFilters(
            period=data.get("period", ""), lane=data.get("lane", ""), team=data.get("team", "")
        )


def _filter_form(request) -> AlignmentFilterForm:
    choices = alignment_filter_choices(viewer=request.user)
    return AlignmentFilterForm(request.GET, periods=choices["periods"], teams=choices["teams"])


def _export(viewer, table: str, filters: AlignmentFilters):
    build = TABLES.get(table)
    if build is None:
        raise Http404("No such table. Tables: " + ", ".join(TABLES) + ".")
    header, rows = build(viewer, filters)
    return csv_response(export_filename(table, filters), header, rows)


def _heat(count: int, top: int) -> int:
    """Shade 0 for no evidence, else 1..5 by share of the busiest cell."""
    return 0 if not count or not top else max(1, math.ceil(HEAT_LEVELS * count / top))


def _pct(share: float) -> float:
    return round(share * 100, 1)


def _effort_chart(effort) -> dict:
    labels = [o.title for o in effort.objectives]
    person_months = [round(o.person_months, 2) for o in effort.objectives]
    effort_share = [_pct(o.effort_share) for o in effort.objectives]
    weight_share = [_pct(o.weight_share) for o in effort.objectives]
    if effort.unaligned_person_months:
        labels.append("Unaligned")
        person_months.append(round(effort.unaligned_person_months, 2))
        effort_share.append(_pct(effort.unaligned_share))
        weight_share.append(None)
    return {
        "labels": labels,
        "effort_share": effort_share,
        "weight_share": weight_share,
        "person_months": person_months,
    }


def _matrix_context(request, viewer, filters) -> dict:
    # The page number first: the column count comes with the matrix, so a page past
    # the end is clamped after reading it (one extra read only for such a link).
    window = Window.of(request.GET.get("page"), MATRIX_COLUMNS, 10**9)
    matrix = alignment_matrix(
        viewer=viewer, filters=filters, offset=window.offset, limit=window.size
    )
    clamped = Window.of(request.GET.get("page"), MATRIX_COLUMNS, matrix.column_count)
    if clamped.number != window.number:
        window = clamped
        matrix = alignment_matrix(
            viewer=viewer, filters=filters, offset=window.offset, limit=window.size
        )
    return {
        "matrix": matrix,
        "window": clamped,
        "matrix_columns": matrix.columns,
        "matrix_rows": [(row, row.cells) for row in matrix.rows],
        "objective_count": sum(1 for r in matrix.rows if r.kind == "objective"),
    }


def _unaligned_context(request, viewer, filters) -> dict:
    window = Window.of(request.GET.get("page"), LIST_ROWS, 10**9)
    unaligned = alignment_unaligned(
        viewer=viewer, filters=filters, offset=window.offset, limit=window.size
    )
    clamped = Window.of(request.GET.get("page"), LIST_ROWS, unaligned.count)
    if clamped.number != window.number:
        unaligned = alignment_unaligned(
            viewer=viewer, filters=filters, offset=clamped.offset, limit=clamped.size
        )
    return {"unaligned": unaligned, "window": clamped}


def _effort_context(request, viewer, filters) -> dict:
    effort = alignment_effort(viewer=viewer, filters=filters)
    return {"effort": effort, "effort_chart": _effort_chart(effort)}


def _unserved_context(request, viewer, filters) -> dict:
    return {"unserved": alignment_unserved(viewer=viewer, filters=filters)}


def _segments_context(request, viewer, filters) -> dict:
    if segment_counts_counted_at() is None:
        # Never counted (a new install, or the periodic count has not run yet).
        segment_counts_refresh()
    picked = set(request.GET.getlist("segment"))
    sort = request.GET.get("sort", "evidence")

    def table(window: Window) -> SegmentTable:
        return alignment_segment_table(
            viewer=viewer,
            filters=filters,
            picked_keys=picked,
            sort=sort,
            offset=window.offset,
            limit=window.size,
        )

    window = Window.of(request.GET.get("page"), HEAT_ROWS, 10**9)
    segments = table(window)
    clamped = Window.of(request.GET.get("page"), HEAT_ROWS, segments.count)
    if clamped.number != window.number:
        segments = table(clamped)
    heat_rows = [
        (row, [(n, _heat(n, segments.max_cell)) for n in row.cells]) for row in segments.rows
    ]
    picked_keys = {segment_key(c) for c in segments.picked}
    query = {**filters.as_query(), "tab": "segments", "sort": segments.sort}
    every = len(segments.picked) == len(segments.segments)
    return {
        "segments": segments,
        "heat_rows": heat_rows,
        "window": clamped,
        "segment_options": [
            (segment_key(c), c, segment_key(c) in picked_keys) for c in segments.segments
        ],
        "sorts": SEGMENT_SORTS,
        # The pager keeps the picked segments and the sort.
        "tab_query": urlencode(
            [*query.items(), *(() if every else (("segment", k) for k in sorted(picked_keys)))]
        ),
    }


SECTIONS = {
    "matrix": _matrix_context,
    "unaligned": _unaligned_context,
    "unserved": _unserved_context,
    "effort": _effort_context,
    "segments": _segments_context,
}


@require_safe
@alignment_viewer_required
def alignment(request):
    form = _filter_form(request)
    filters = form.filters()
    if request.GET.get("format") == "csv":
        return _export(request.user, request.GET.get("table", ""), filters)
    tab = request.GET.get("tab", "matrix")
    if tab not in TABS:
        tab = "matrix"
    viewer = request.user
    filter_query = urlencode(filters.as_query())
    context = {
        "filter_form": form,
        "filters": filters,
        "filter_query": filter_query,
        "tab": tab,
        "tabs": TABS,
        "tab_query": urlencode({**filters.as_query(), "tab": tab}),
        "low_progress": LOW_PROGRESS,
        "min_initiatives": MIN_INITIATIVES,
        "status_labels": dict(Initiative.Status.choices),
        "team_labels": objective_team_labels(viewer=viewer),
    }
    context.update(SECTIONS[tab](request, viewer, filters))
    return render(request, "roadmap/alignment.html", context)


@require_safe
@alignment_viewer_required
def alignment_export(request, table: str):
    return _export(request.user, table, _filter_form(request).filters())
