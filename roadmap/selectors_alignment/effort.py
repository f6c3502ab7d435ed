"""Effort per objective: planned person-months split by contribution weights."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import (
    Count,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce

from roadmap.models import Alignment
from roadmap.permissions import can_view

from .scope import (
    AlignmentFilters,
    aligned_in_view,
    contribution_weight,
    key_results_in_view,
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


def alignment_effort(*, viewer, filters: AlignmentFilters) -> Effort:
    """Planned person-months per objective against each objective's share of the weight.

    Three queries: the per-objective split (a SUM over alignment rows of
    effort * weight / the initiative's total weight in view, a correlated
    subquery), the objectives with the total weight, and the planned totals.
    """
    if not can_view(viewer):
        return Effort([], 0.0, 0.0, 0.0, 0)
    krs_in_view = key_results_in_view(filters).values("pk")
    planned_links = Alignment.objects.filter(
        key_result__in=krs_in_view, initiative__in=planned_in_view(filters).values("pk")
    )
    initiative_weight = Subquery(
        Alignment.objects.filter(
            initiative_id=OuterRef("initiative_id"), key_result__in=krs_in_view
        )
        .order_by()
        .values("initiative_id")
        .annotate(total=Sum(contribution_weight()))
        .values("total"),
        output_field=FloatField(),
    )
    split = {
        row["key_result__objective_id"]: row
        for row in planned_links.annotate(initiative_weight=initiative_weight)
        .values("key_result__objective_id")
        .annotate(
            person_months=Sum(
                F("initiative__effort") * contribution_weight() / F("initiative_weight"),
                output_field=FloatField(),
            ),
            initiatives=Count("initiative_id", distinct=True),
        )
        .order_by()
    }
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
    planned = planned_in_view(filters).annotate(aligned=aligned_in_view(filters))
    totals = planned.aggregate(
        person_months=Coalesce(Sum("effort"), 0.0),
        unaligned=Coalesce(Sum("effort", filter=Q(aligned=False)), 0.0),
        unaligned_count=Count("pk", filter=Q(aligned=False)),
    )
    total = totals["person_months"]
    rows = []
    for o in objectives:
        person_months = (split.get(o.pk) or {}).get("person_months") or 0.0
        rows.append(
            ObjectiveEffort(
                id=o.pk,
                title=o.title,
                period=o.period,
                weight=o.weight,
                weight_share=share(o.weight, o.total_weight or 0.0),
                person_months=person_months,
                effort_share=share(person_months, total),
                initiatives=(split.get(o.pk) or {}).get("initiatives") or 0,
            )
        )
    return Effort(
        objectives=rows,
        planned_person_months=total,
        unaligned_person_months=totals["unaligned"],
        unaligned_share=share(totals["unaligned"], total),
        unaligned_initiatives=totals["unaligned_count"],
    )
