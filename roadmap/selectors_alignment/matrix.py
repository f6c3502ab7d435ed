"""The alignment matrix: objectives and key results by the initiatives aligned to them."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import (
    Count,
    F,
    Q,
    Sum,
)
from django.db.models.functions import Coalesce

from okrs.models import KeyResult
from roadmap.permissions import can_view

from .scope import (
    AlignmentFilters,
    alignments_in_view,
    contribution_weight,
    initiatives_in_view,
    key_results_in_view,
    objectives_in_view,
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


def alignment_matrix(*, viewer, filters: AlignmentFilters) -> Matrix:
    """Objectives and their key results by aligned initiatives, with row and column totals.

    Six queries: objective totals, key result totals, column totals, key result
    cells, objective cells (summed per objective and initiative) and the grand total.
    """
    if not can_view(viewer):
        return Matrix([], [], 0.0, 0)
    in_view = initiatives_in_view(filters).values("pk")
    krs_in_view = key_results_in_view(filters).values("pk")
    link = Q(key_results__alignments__initiative__in=in_view)
    objectives = list(
        objectives_in_view(filters)
        .annotate(
            weight_total=Coalesce(
                Sum(contribution_weight("key_results__alignments__contribution"), filter=link),
                0.0,
            ),
            links=Count("key_results__alignments", filter=link),
        )
        .order_by("period", "-weight", "title", "id")
    )
    kr_link = Q(alignments__initiative__in=in_view)
    key_results = list(
        key_results_in_view(filters)
        .annotate(
            weight_total=Coalesce(
                Sum(contribution_weight("alignments__contribution"), filter=kr_link), 0.0
            ),
            links=Count("alignments", filter=kr_link),
        )
        .order_by("objective_id", "id")
    )
    col_link = Q(alignments__key_result__in=krs_in_view)
    columns = [
        MatrixColumn(i.pk, i.title, i.lane, i.status, i.team, i.rank, i.weight_total, i.links)
        for i in initiatives_in_view(filters)
        .annotate(
            weight_total=Coalesce(
                Sum(contribution_weight("alignments__contribution"), filter=col_link), 0.0
            ),
            links=Count("alignments", filter=col_link),
        )
        .filter(links__gt=0)
        .order_by(F("rank").asc(nulls_last=True), "-priority_score", "id")
    ]
    alignments = alignments_in_view(filters)
    kr_cells = {
        (kr, ini): contribution
        for kr, ini, contribution in alignments.values_list(
            "key_result_id", "initiative_id", "contribution"
        )
    }
    objective_cells = {
        (row["key_result__objective_id"], row["initiative_id"]): row["weight"]
        for row in alignments.values("key_result__objective_id", "initiative_id")
        .annotate(weight=Sum(contribution_weight()))
        .order_by()
    }
    grand = alignments.aggregate(
        weight=Coalesce(Sum(contribution_weight()), 0.0), links=Count("pk")
    )

    by_objective: dict[int, list[KeyResult]] = {}
    for kr in key_results:
        by_objective.setdefault(kr.objective_id, []).append(kr)
    rows: list[MatrixRow] = []
    for o in objectives:
        rows.append(
            MatrixRow(
                "objective",
                o.pk,
                o.pk,
                o.title,
                o.period,
                o.progress,
                o.weight_total,
                o.links,
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
                kr.weight_total,
                kr.links,
                [kr_cells.get((kr.pk, c.id)) for c in columns],
            )
            for kr in by_objective.get(o.pk, [])
        )
    return Matrix(columns, rows, grand["weight"], grand["links"])
