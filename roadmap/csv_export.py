"""CSV exports (the alignment tables, the priority table), safe to open in a spreadsheet.

A cell a user typed (a title, a team name) that starts with =, +, -, @, a tab
or a carriage return would run as a formula in Excel, LibreOffice or Google
Sheets ("CSV injection"); such text cells get a leading apostrophe, which the
spreadsheet shows as plain text. Numbers are written as numbers: we produce
them, and a BI tool must read -0.05 as a number, not as text.

The file starts with a UTF-8 byte order mark so that Excel reads accents and
dashes in titles correctly; BI tools and Python's "utf-8-sig" skip it.

A table of a few hundred rows is written whole (`csv_response`); the priority
table, up to every initiative, is streamed (`csv_stream_response`) from one
query read in chunks, so neither the rows nor the file sit in memory.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from itertools import islice

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponse, StreamingHttpResponse

from roadmap.models import Alignment
from roadmap.models.ranks import rank_finder
from roadmap.selectors_alignment import (
    AlignmentFilters,
    alignment_effort,
    alignment_matrix,
    alignment_segments,
    alignment_unaligned,
    alignment_unserved,
)

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

Table = tuple[list[str], list[list]]


def escape_cell(value):
    """A cell as written to the CSV: text that a spreadsheet would evaluate is defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, Decimal | int):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def csv_response(filename: str, header: list[str], rows: Iterable[list]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([escape_cell(cell) for cell in header])
    writer.writerows([escape_cell(cell) for cell in row] for row in rows)
    return response


class _Echo:
    """A file whose write hands the line back, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


# Rows per piece of a streamed file (and per fetch from the database).
STREAM_ROWS = 1_000


def csv_lines(header: list[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """The file in pieces of STREAM_ROWS escaped rows; the first carries the BOM and header."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([escape_cell(cell) for cell in header])
    rows = iter(rows)
    while batch := list(islice(rows, STREAM_ROWS)):
        yield "".join(writer.writerow([escape_cell(cell) for cell in row]) for row in batch)


def csv_stream_response(
    filename: str, header: list[str], rows: Iterable[Iterable]
) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        csv_lines(header, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- the priority table -------------------------------------------------------------

PRIORITY_COLUMNS = [
    ("rank_key", "Rank"),  # the rank's key, replaced by the rank (priorities_table)
    ("title", "Initiative"),
    ("status", "Status"),
    ("lane", "Lane"),
    ("team", "Team"),
    ("target_quarter", "Target quarter"),
    ("owner__username", "Owner"),
    ("reach", "Reach"),
    ("reach_source", "Reach source"),
    ("impact", "Impact"),
    ("confidence", "Confidence (%)"),
    ("effort", "Effort (person-months)"),
    ("rice_score", "RICE"),
    ("alignment_score", "Alignment"),
    ("priority_score", "Priority"),
    ("export_objectives", "Objectives"),
    ("evidence_count", "Evidence"),
    ("external_id", "External id"),
    ("id", "Id"),
]


def priorities_table(queryset: QuerySet) -> tuple[list[str], Iterator[tuple]]:
    """The priority table's rows, in the queryset's order and filtered as it is: two queries.

    `queryset` is a selector's (initiative_list, priority_list) with its filters
    and order; its prefetches are dropped (a query per chunk), and the number
    of objectives each initiative is aligned to is counted in the same query.
    Ranks come from one read of every ranked key (`rank_finder`).
    """
    objectives = (
        Alignment.objects.filter(initiative_id=OuterRef("pk"))
        .order_by()
        .values("initiative_id")
        .annotate(n=Count("key_result__objective_id", distinct=True))
        .values("n")
    )
    rows = (
        queryset.prefetch_related(None)
        .annotate(export_objectives=Coalesce(Subquery(objectives), 0))
        .values_list(*(name for name, _ in PRIORITY_COLUMNS))
        .iterator(chunk_size=STREAM_ROWS)
    )
    rank = rank_finder()
    ranked = ((rank(row[0], row[-1]), *row[1:]) for row in rows)
    return [label for _, label in PRIORITY_COLUMNS], ranked


# --- the alignment tables ------------------------------------------------------------------


def matrix_table(viewer, filters: AlignmentFilters) -> Table:
    """One row per objective (summed weights) and key result (contribution names)."""
    matrix = alignment_matrix(viewer=viewer, filters=filters)
    header = ["Type", "Objective", "Key result", "Period", "Progress"]
    header += [c.title for c in matrix.columns] + ["Total weight", "Links"]
    titles = {r.id: r.title for r in matrix.rows if r.kind == "objective"}
    rows = [
        [
            "Objective" if r.kind == "objective" else "Key result",
            titles[r.objective_id],
            r.title if r.kind == "key_result" else "",
            r.period,
            r.progress,
            *r.cells,
            r.weight_total,
            r.links,
        ]
        for r in matrix.rows
    ]
    col_weights = [c.weight_total for c in matrix.columns]
    rows.append(["Total weight", "", "", "", "", *col_weights, matrix.weight_total, matrix.links])
    rows.append(["Links", "", "", "", "", *(c.links for c in matrix.columns), "", matrix.links])
    return header, rows


def unaligned_table(viewer, filters: AlignmentFilters) -> Table:
    data = alignment_unaligned(viewer=viewer, filters=filters)
    header = ["Rank", "Initiative", "Status", "Lane", "Team", "Effort (person-months)"]
    header += ["Priority", "Evidence"]
    rows = [
        [i.rank, i.title, i.status, i.lane, i.team, i.effort, i.priority_score, i.evidence_count]
        for i in data.initiatives
    ]
    return header, rows


def unserved_table(viewer, filters: AlignmentFilters) -> Table:
    data = alignment_unserved(viewer=viewer, filters=filters)
    header = ["Type", "Objective", "Key result", "Period", "Progress", "Planned initiatives"]
    header += ["Unserved", "Low progress", "Fewer than 2 initiatives"]
    rows = [
        [
            "Objective" if r.kind == "objective" else "Key result",
            r.objective_title,
            r.title if r.kind == "key_result" else "",
            r.period,
            r.progress,
            r.planned_initiatives,
            r.unserved,
            r.low_progress,
            r.few_initiatives,
        ]
        for r in data.rows
    ]
    return header, rows


def effort_table(viewer, filters: AlignmentFilters) -> Table:
    data = alignment_effort(viewer=viewer, filters=filters)
    header = ["Objective", "Period", "Weight", "Weight share", "Person-months", "Effort share"]
    header += ["Gap (effort share - weight share)", "Planned initiatives"]
    rows = [
        [
            o.title,
            o.period,
            o.weight,
            o.weight_share,
            o.person_months,
            o.effort_share,
            o.gap,
            o.initiatives,
        ]
        for o in data.objectives
    ]
    rows.append(
        [
            "Unaligned",
            "",
            "",
            "",
            data.unaligned_person_months,
            data.unaligned_share,
            "",
            data.unaligned_initiatives,
        ]
    )
    rows.append(["Total planned", "", "", "", data.planned_person_months, 1.0, "", ""])
    return header, rows


def segments_table(viewer, filters: AlignmentFilters) -> Table:
    data = alignment_segments(viewer=viewer, filters=filters)
    header = ["Initiative", "Lane", "Status", "Team", *(c.name for c in data.columns)]
    header += ["Evidence", "Customers", "Revenue"]
    rows = [
        [i.title, i.lane, i.status, i.team, *i.cells, i.evidence, i.customers, i.revenue]
        for i in data.initiatives
    ]
    return header, rows


def coverage_table(viewer, filters: AlignmentFilters) -> Table:
    data = alignment_segments(viewer=viewer, filters=filters)
    header = ["Segment", "Evidence", "Unlinked", "On planned work", "On other work"]
    header += ["Customers", "Planned initiatives", "Answered by the roadmap"]
    rows = [
        [
            c.name,
            c.evidence,
            c.unlinked,
            c.on_planned,
            c.on_other,
            c.customers,
            c.planned_initiatives,
            not c.unanswered,
        ]
        for c in data.coverage
    ]
    return header, rows


TABLES: dict[str, Callable[..., Table]] = {
    "matrix": matrix_table,
    "unaligned": unaligned_table,
    "unserved": unserved_table,
    "effort": effort_table,
    "segments": segments_table,
    "coverage": coverage_table,
}


def export_filename(table: str, filters: AlignmentFilters) -> str:
    parts = ["alignment", table, *filters.as_query().values()]
    safe = "-".join("".join(ch if ch.isalnum() else "_" for ch in part) for part in parts)
    return f"{safe}.csv"
