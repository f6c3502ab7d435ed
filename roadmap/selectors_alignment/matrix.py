"""The alignment matrix: objectives and key results by the initiatives aligned to them."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Sum

from okrs.models import KeyResult
from roadmap.permissions import can_view
from roadmap.scoring import CONTRIBUTION_WEIGHTS

from .scope import (
    AlignmentFilters,
    aligned_in_view,
    alignments_in_view,
    contribution_weight,
    initiatives_in_view,
    key_results_in_view,
    objectives_in_view,
    ranked,
)


@dataclass
class MatrixColumn:
    id: int
    title: str
    lane: str
    status: str
    team: str
    rank: int | None
    weight_total: float
    links: int


@dataclass
class MatrixRow:
    """An objective (cells: summed weights) or a key result (cells: contribution names)."""

    kind: str  # "objective" or "key_result"
    id: int
    objective_id: int
    title: str
    period: str
    progress: float
    weight_total: float
    links: int
    cells: list = field(default_factory=list)


@dataclass
class Matrix:
    columns: list[MatrixColumn]
    rows: list[MatrixRow]
    weight_total: float
    links: int
    # Every aligned initiative in view; more than len(columns) when paged.
    column_count: int = 0
    offset: int = 0


def alignment_matrix(
    *, viewer, filters: AlignmentFilters, offset: int = 0, limit: int | None = None
) -> Matrix:
    """Objectives and their key results by aligned initiatives, with row and column totals.

    Columns are the aligned initiatives in view, best rank first; `limit` keeps
    the columns from `offset` on (a page), and only their cells are read. Row
    totals and the grand total always count every aligned initiative in view.
    Five queries, six when paged (the number of columns in all): objectives,
    key results, their totals (one grouped join over the links in view), the
    columns (the ranked list walked until a page of aligned ones is found) and
    their cells. A column's totals are sums of its cells, an objective's totals
    and cells, and the grand total, sums of its key results' (weights and link
    counts add up), taken in Python.
    """
    if not can_view(viewer):
        return Matrix([], [], 0.0, 0)
    objectives = list(
        objectives_in_view(filters)
        .only("id", "title", "period", "progress", "weight")
        .order_by("period", "-weight", "title", "id")
    )
    key_results = list(
        key_results_in_view(filters)
        .only("id", "objective_id", "title", "progress")
        .order_by("objective_id", "id")
    )
    links = alignments_in_view(filters)
    kr_totals = {
        row["key_result_id"]: (row["weight_total"], row["links"])
        for row in links.values("key_result_id")
        .annotate(weight_total=Sum(contribution_weight()), links=Count("pk"))
        .order_by()
    }
    aligned = (
        ranked(initiatives_in_view(filters).filter(aligned_in_view(filters)))
        .only("id", "title", "lane", "status", "team", "rank_key")
        .with_ranks()
    )
    if limit is not None:
        aligned = aligned[offset : offset + limit]
    shown = list(aligned)
    alignments = links
    if limit is None:
        column_count = len(shown)
    else:
        column_count = (
            initiatives_in_view(filters).filter(aligned_in_view(filters)).order_by().count()
        )
        # Only the cells of the columns shown.
        alignments = alignments.filter(initiative_id__in=[i.pk for i in shown])
    kr_objective = {kr.pk: kr.objective_id for kr in key_results}
    kr_cells: dict[tuple[int, int], str] = {}
    objective_cells: dict[tuple[int, int], float] = {}
    column_totals: dict[int, tuple[float, int]] = {}
    for kr, ini, contribution in alignments.values_list(
        "key_result_id", "initiative_id", "contribution"
    ):
        weight = CONTRIBUTION_WEIGHTS.get(contribution, 0.0)
        kr_cells[kr, ini] = contribution
        key = (kr_objective[kr], ini)
        objective_cells[key] = objective_cells.get(key, 0.0) + weight
        total, count = column_totals.get(ini, (0.0, 0))
        column_totals[ini] = (total + weight, count + 1)
    columns = [
        MatrixColumn(i.pk, i.title, i.lane, i.status, i.team, i.rank, *column_totals[i.pk])
        for i in shown
    ]

    by_objective: dict[int, list[KeyResult]] = {}
    for kr in key_results:
        by_objective.setdefault(kr.objective_id, []).append(kr)
    rows: list[MatrixRow] = []
    grand_weight, grand_links = 0.0, 0
    for o in objectives:
        krs = by_objective.get(o.pk, [])
        weight_total = sum(kr_totals.get(kr.pk, (0.0, 0))[0] for kr in krs)
        links = sum(kr_totals.get(kr.pk, (0.0, 0))[1] for kr in krs)
        grand_weight += weight_total
        grand_links += links
        rows.append(
            MatrixRow(
                "objective",
                o.pk,
                o.pk,
                o.title,
                o.period,
                o.progress,
                weight_total,
                links,
                [objective_cells.get((o.pk, c.id)) for c in columns],
            )
        )
        rows.extend(
            MatrixRow(
                "key_result",
                kr.pk,
                o.pk,
                kr.title,
                o.period,
                kr.progress,
                *kr_totals.get(kr.pk, (0.0, 0)),
                [kr_cells.get((kr.pk, c.id)) for c in columns],
            )
            for kr in krs
        )
    return Matrix(columns, rows, grand_weight, grand_links, column_count, offset if limit else 0)
