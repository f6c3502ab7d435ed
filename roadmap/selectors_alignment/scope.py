"""What "in view" means for every alignment read: the filters, the scopes, contribution weights.

Each scope is a queryset (or an Exists) over the filters, for the other
modules to aggregate over; none is evaluated here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import (
    Case,
    Exists,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)

from okrs.models import KeyResult, Objective
from roadmap.models import Alignment, Initiative
from roadmap.models.ranks import RANK_ORDER
from roadmap.permissions import can_view
from roadmap.scoring import CONTRIBUTION_WEIGHTS

OPEN_STATUSES = tuple(Initiative.RANKED_STATUSES)
PLANNED_LANES = (Initiative.Lane.NOW, Initiative.Lane.NEXT)
LOW_PROGRESS = 0.4
MIN_INITIATIVES = 2


@dataclass(frozen=True)
class AlignmentFilters:
    period: str = ""
    lane: str = ""
    team: str = ""

    def as_query(self) -> dict[str, str]:
        """The filters that are set, as query parameters."""
        return {
            k: v
            for k, v in (("period", self.period), ("lane", self.lane), ("team", self.team))
            if v
        }


def contribution_weight(path: str = "contribution") -> Case:
    """SQL for a contribution's weight: strong 1.0, medium 0.5, weak 0.25."""
    return Case(
        *(
            When(**{path: name}, then=Value(weight))
            for name, weight in CONTRIBUTION_WEIGHTS.items()
        ),
        default=Value(0.0),
        output_field=FloatField(),
    )


# --- scopes ------------------------------------------------------------------


def objectives_in_view(filters: AlignmentFilters) -> QuerySet[Objective]:
    qs = Objective.objects.exclude(status=Objective.Status.CANCELLED)
    return qs.filter(period=filters.period) if filters.period else qs


def key_results_in_view(filters: AlignmentFilters) -> QuerySet[KeyResult]:
    return KeyResult.objects.filter(objective__in=objectives_in_view(filters).values("pk"))


def initiatives_in_view(filters: AlignmentFilters) -> QuerySet[Initiative]:
    qs = Initiative.objects.filter(status__in=OPEN_STATUSES)
    if filters.lane:
        qs = qs.filter(lane=filters.lane)
    if filters.team:
        qs = qs.filter(team=filters.team)
    if filters.period:
        serves_period = Exists(
            Alignment.objects.filter(
                initiative_id=OuterRef("pk"), key_result__objective__period=filters.period
            )
        )
        qs = qs.filter(Q(target_quarter=filters.period) | Q(target_quarter="") | serves_period)
    return qs


def planned_in_view(filters: AlignmentFilters) -> QuerySet[Initiative]:
    return initiatives_in_view(filters).filter(lane__in=PLANNED_LANES)


def alignments_in_view(filters: AlignmentFilters) -> QuerySet[Alignment]:
    """Links between initiatives in view and key results in view, as plain joins.

    With a period, a link to a key result in view makes its initiative serve
    that period, so the period's test on initiatives is implied and left out:
    the planner then hash-joins the three tables once instead of testing each
    link against a subquery.
    """
    qs = Alignment.objects.filter(initiative__status__in=OPEN_STATUSES).exclude(
        key_result__objective__status=Objective.Status.CANCELLED
    )
    if filters.period:
        qs = qs.filter(key_result__objective__period=filters.period)
    if filters.lane:
        qs = qs.filter(initiative__lane=filters.lane)
    if filters.team:
        qs = qs.filter(initiative__team=filters.team)
    return qs


def ranked(qs: QuerySet[Initiative]) -> QuerySet[Initiative]:
    """Best rank first (unranked last, by priority): the ranked list's order."""
    return qs.order_by(*RANK_ORDER)


def aligned_in_view(filters: AlignmentFilters) -> Exists:
    return Exists(
        Alignment.objects.filter(
            initiative_id=OuterRef("pk"), key_result__in=key_results_in_view(filters).values("pk")
        )
    )


def share(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


def alignment_filter_choices(*, viewer) -> dict[str, list[str]]:
    """The periods with objectives (newest first) and the teams with initiatives."""
    if not can_view(viewer):
        return {"periods": [], "teams": []}
    periods = Objective.objects.order_by("-period").values_list("period", flat=True).distinct()
    teams = (
        Initiative.objects.exclude(team="")
        .order_by("team")
        .values_list("team", flat=True)
        .distinct()
    )
    return {"periods": list(periods), "teams": list(teams)}
