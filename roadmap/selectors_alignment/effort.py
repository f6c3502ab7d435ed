"""Effort per objective: planned person-months split by contribution weights."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, FloatField, Func, Subquery, Sum
from django.db.models.functions import Coalesce

from roadmap.permissions import can_view

from .links import grouped
from .scope import (
    PLANNED_LANES,
    AlignmentFilters,
    alignments_in_view,
    objectives_in_view,
    planned_in_view,
    share,
)


@dataclass
class ObjectiveEffort:
    id: int
    title: str
    period: str
    weight: float
    weight_share: float
    person_months: float
    effort_share: float
    initiatives: int

    @property
    def gap(self) -> float:
        """Effort share minus weight share: positive is more effort than the weight asks."""
        return self.effort_share - self.weight_share

    @property
    def gap_points(self) -> int:
        """The gap in whole percentage points."""
        return round(self.gap * 100)


@dataclass
class Effort:
    objectives: list[ObjectiveEffort]
    planned_person_months: float
    unaligned_person_months: float
    unaligned_share: float
    unaligned_initiatives: int


def _split(filters: AlignmentFilters) -> dict[int, tuple[float, int, float, int]]:
    """Per objective: planned person-months split to it, the planned initiatives
    serving it, and (for the totals) the effort and number of the aligned planned
    initiatives counted once, each under one objective. One pass (`links.grouped`).
    """
    rows = grouped(
        alignments_in_view(filters).filter(initiative__lane__in=PLANNED_LANES),
        "w.objective, SUM(w.effort * w.weight / w.total), SUM(w.first_for_objective),"
        " SUM(w.effort * w.first_link), SUM(w.first_link)",
        "w.objective",
    )
    return {
        objective: (person_months or 0.0, initiatives, aligned_effort or 0.0, aligned)
        for objective, person_months, initiatives, aligned_effort, aligned in rows
    }


def alignment_effort(*, viewer, filters: AlignmentFilters) -> Effort:
    """Planned person-months per objective against each objective's share of the weight.

    Three queries: the per-objective split (`_split`), the objectives with the
    total weight, and the planned totals.
    """
    if not can_view(viewer):
        return Effort([], 0.0, 0.0, 0.0, 0)
    split = _split(filters)
    objectives = list(
        objectives_in_view(filters)
        .annotate(
            total_weight=Subquery(
                objectives_in_view(filters)
                .order_by()
                .annotate(total=Func(F("weight"), function="SUM"))
                .values("total")[:1],
                output_field=FloatField(),
            )
        )
        .order_by("period", "-weight", "title", "id")
    )
    totals = planned_in_view(filters).aggregate(
        person_months=Coalesce(Sum("effort"), 0.0), count=Count("pk")
    )
    total = totals["person_months"]
    # Every aligned planned initiative is counted under exactly one objective.
    unaligned_count = totals["count"] - sum(row[3] for row in split.values())
    # A difference of float sums: exactly none when every planned initiative is aligned.
    unaligned = max(0.0, total - sum(row[2] for row in split.values())) if unaligned_count else 0.0
    rows = []
    for o in objectives:
        person_months, initiatives, _, _ = split.get(o.pk, (0.0, 0, 0.0, 0))
        rows.append(
            ObjectiveEffort(
                id=o.pk,
                title=o.title,
                period=o.period,
                weight=o.weight,
                weight_share=share(o.weight, o.total_weight or 0.0),
                person_months=person_months,
                effort_share=share(person_months, total),
                initiatives=initiatives,
            )
        )
    return Effort(
        objectives=rows,
        planned_person_months=total,
        unaligned_person_months=unaligned,
        unaligned_share=share(unaligned, total),
        unaligned_initiatives=unaligned_count,
    )
