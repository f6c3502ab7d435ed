"""The Alignment page for marketing: which objectives and segments the roadmap serves.

Readable by product and marketing (and superusers); an account without one of
those roles gets 403, an anonymous visitor the login page. Every table on the
page downloads as CSV: `/alignment/export/<table>.csv` or
`/alignment/?format=csv&table=<table>`, with the page's filters.
"""

from __future__ import annotations

import math
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
    alignment_segments,
    alignment_unaligned,
    alignment_unserved,
)

HEAT_LEVELS = 5
# A matrix wider than this, or a heat map longer, is unreadable in a browser;
# the page shows the best-ranked (busiest) ones and the CSV has them all.
MATRIX_COLUMNS = 60
HEAT_ROWS = 100


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


@require_safe
@alignment_viewer_required
def alignment(request):
    form = _filter_form(request)
    filters = form.filters()
    if request.GET.get("format") == "csv":
        return _export(request.user, request.GET.get("table", ""), filters)
    viewer = request.user
    matrix = alignment_matrix(viewer=viewer, filters=filters)
    effort = alignment_effort(viewer=viewer, filters=filters)
    segments = alignment_segments(viewer=viewer, filters=filters)
    heat_rows = [
        (row, [(n, _heat(n, segments.max_cell)) for n in row.cells])
        for row in segments.initiatives[:HEAT_ROWS]
    ]
    matrix_rows = [(row, row.cells[:MATRIX_COLUMNS]) for row in matrix.rows]
    context = {
        "filter_form": form,
        "filters": filters,
        "filter_query": urlencode(filters.as_query()),
        "matrix": matrix,
        "unaligned": alignment_unaligned(viewer=viewer, filters=filters),
        "unserved": alignment_unserved(viewer=viewer, filters=filters),
        "effort": effort,
        "effort_chart": _effort_chart(effort),
        "segments": segments,
        "heat_rows": heat_rows,
        "matrix_columns": matrix.columns[:MATRIX_COLUMNS],
        "matrix_rows": matrix_rows,
        "objective_count": sum(1 for r in matrix.rows if r.kind == "objective"),
        "low_progress": LOW_PROGRESS,
        "min_initiatives": MIN_INITIATIVES,
        "status_labels": dict(Initiative.Status.choices),
        "team_labels": objective_team_labels(viewer=viewer),
    }
    return render(request, "roadmap/alignment.html", context)


@require_safe
@alignment_viewer_required
def alignment_export(request, table: str):
    return _export(request.user, table, _filter_form(request).filters())
