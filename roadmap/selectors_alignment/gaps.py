"""Gaps: open work aligned to nothing in view, and objectives or key results nobody serves."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Sum
from django.db.models.functions import Coalesce

from roadmap.permissions import can_view

from .links import grouped
from .scope import (
    LOW_PROGRESS,
    MIN_INITIATIVES,
    PLANNED_LANES,
    AlignmentFilters,
    aligned_in_view,
    alignments_in_view,
    initiatives_in_view,
    key_results_in_view,
    objectives_in_view,
    ranked,
)


@dataclass
class UnalignedInitiative:
    id: int
    title: str
    status: str
    lane: str
    team: str
    effort: float
    priority_score: float
    rank: int | None
    evidence_count: int


@dataclass
class Unaligned:
    initiatives: list[UnalignedInitiative]
    count: int
    effort: float


def alignment_unaligned(
    *, viewer, filters: AlignmentFilters, offset: int = 0, limit: int | None = None
) -> Unaligned:
    """Initiatives in view aligned to no key result in view, best priority first
    (`limit`: only those from `offset` on; the count and effort still cover all). Two queries.
    """
    if not can_view(viewer):
        return Unaligned([], 0, 0.0)
    qs = initiatives_in_view(filters).filter(~aligned_in_view(filters))
    ordered = ranked(qs)
    if limit is not None:
        ordered = ordered[offset : offset + limit]
    rows = [
        UnalignedInitiative(
            i.pk,
            i.title,
            i.status,
            i.lane,
            i.team,
            i.effort,
            i.priority_score,
            i.rank,
            i.evidence_count,
        )
        for i in ordered.with_ranks().only(
            "id",
            "title",
            "status",
            "lane",
            "team",
            "effort",
            "priority_score",
            "rank_key",
            "evidence_count",
        )
    ]
    totals = qs.aggregate(count=Count("pk"), effort=Coalesce(Sum("effort"), 0.0))
    return Unaligned(rows, totals["count"], totals["effort"])


@dataclass
class Coverage:
    kind: str  # "objective" or "key_result"
    id: int
    objective_id: int
    objective_title: str
    title: str
    period: str
    progress: float
    planned_initiatives: int

    @property
    def unserved(self) -> bool:
        return self.planned_initiatives == 0

    @property
    def low_progress(self) -> bool:
        return self.progress < LOW_PROGRESS

    @property
    def few_initiatives(self) -> bool:
        return self.planned_initiatives < MIN_INITIATIVES

    @property
    def lagging(self) -> bool:
        return self.low_progress or self.few_initiatives


@dataclass
class Unserved:
    rows: list[Coverage]  # objectives and key results that are unserved or lagging
    unserved_objectives: int
    unserved_key_results: int
    lagging_objectives: int
    lagging_key_results: int


def alignment_unserved(*, viewer, filters: AlignmentFilters) -> Unserved:
    """Objectives and key results no planned initiative serves, or that lag. Three queries:
    objectives, key results, and the planned initiatives per key result and per
    objective (one pass over the planned links in view, `links.grouped`).
    """
    if not can_view(viewer):
        return Unserved([], 0, 0, 0, 0)
    # Per key result and objective: links (one initiative each) and the initiatives
    # counted once per objective, summed below into the objective's distinct count.
    per_key_result: dict[int, int] = {}
    per_objective: dict[int, int] = {}
    for key_result, objective, links, initiatives in grouped(
        alignments_in_view(filters).filter(initiative__lane__in=PLANNED_LANES),
        "w.key_result_id, w.objective, COUNT(*), SUM(w.first_for_objective)",
        "w.key_result_id, w.objective",
    ):
        per_key_result[key_result] = links
        per_objective[objective] = per_objective.get(objective, 0) + initiatives
    objectives = objectives_in_view(filters).order_by("period", "-weight", "title", "id")
    key_results = (
        key_results_in_view(filters).select_related("objective").order_by("objective_id", "id")
    )
    by_objective: dict[int, list[Coverage]] = {}
    for kr in key_results:
        by_objective.setdefault(kr.objective_id, []).append(
            Coverage(
                "key_result",
                kr.pk,
                kr.objective_id,
                kr.objective.title,
                kr.title,
                kr.objective.period,
                kr.progress,
                per_key_result.get(kr.pk, 0),
            )
        )
    all_rows: list[Coverage] = []
    for o in objectives:
        all_rows.append(
            Coverage(
                "objective",
                o.pk,
                o.pk,
                o.title,
                o.title,
                o.period,
                o.progress,
                per_objective.get(o.pk, 0),
            )
        )
        all_rows.extend(by_objective.get(o.pk, []))
    objective_rows = [r for r in all_rows if r.kind == "objective"]
    kr_rows = [r for r in all_rows if r.kind == "key_result"]
    return Unserved(
        rows=[r for r in all_rows if r.lagging],
        unserved_objectives=sum(r.unserved for r in objective_rows),
        unserved_key_results=sum(r.unserved for r in kr_rows),
        lagging_objectives=sum(r.lagging for r in objective_rows),
        lagging_key_results=sum(r.lagging for r in kr_rows),
    )
