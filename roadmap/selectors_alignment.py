"""Alignment reads for marketing: which objectives and segments the roadmap serves.

Shared by the HTML page, its CSV exports and the read-only API. Every figure is
an SQL aggregate (annotate / aggregate with Sum, Count, Case, Exists and
correlated subqueries); Python only pivots aggregated rows into tables, so each
selector costs a fixed number of queries however large the roadmap is.

Definitions (also shown on the page):
- **In view**: objectives of the chosen period (all periods when none), not
  cancelled, and their key results. An initiative is **open** when its status
  is idea, planned or in progress (the ranked roadmap). The initiatives in view
  are the open ones matching the lane and team filters; with a period, only
  those targeted at that quarter, not scheduled at all, or aligned to a key
  result of that period's objectives.
- **Planned**: in view and in lane now or next.
- **Aligned**: linked to at least one key result in view.
- **Unserved**: an objective or key result no planned initiative is aligned to.
  **Lagging**: progress below 0.4, or fewer than 2 planned initiatives.
- **Effort split**: a planned initiative's effort (person-months) is split
  across the objectives it serves in proportion to its contribution weights
  (strong 1, medium 0.5, weak 0.25) to each objective's key results in view.
  Planned effort aligned to nothing in view is reported as unaligned.
- **Unanswered segment**: a segment with evidence none of which is linked to a
  planned initiative: all of it waits in the inbox, or points only to shipped,
  archived, later-lane or filtered-out work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from okrs.models import KeyResult, Objective
from roadmap.models import Alignment, Customer, Evidence, Initiative, Segment
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


def _objectives(filters: AlignmentFilters) -> QuerySet[Objective]:
    qs = Objective.objects.exclude(status=Objective.Status.CANCELLED)
    return qs.filter(period=filters.period) if filters.period else qs


def _key_results(filters: AlignmentFilters) -> QuerySet[KeyResult]:
    return KeyResult.objects.filter(objective__in=_objectives(filters).values("pk"))


def _initiatives(filters: AlignmentFilters) -> QuerySet[Initiative]:
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


def _planned(filters: AlignmentFilters) -> QuerySet[Initiative]:
    return _initiatives(filters).filter(lane__in=PLANNED_LANES)


def _alignments(filters: AlignmentFilters) -> QuerySet[Alignment]:
    """Links between initiatives in view and key results in view."""
    return Alignment.objects.filter(
        key_result__in=_key_results(filters).values("pk"),
        initiative__in=_initiatives(filters).values("pk"),
    )


def _aligned_in_view(filters: AlignmentFilters) -> Exists:
    return Exists(
        Alignment.objects.filter(
            initiative_id=OuterRef("pk"), key_result__in=_key_results(filters).values("pk")
        )
    )


def _share(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


# --- matrix --------------------------------------------------------------------


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
    in_view = _initiatives(filters).values("pk")
    krs_in_view = _key_results(filters).values("pk")
    link = Q(key_results__alignments__initiative__in=in_view)
    objectives = list(
        _objectives(filters)
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
        _key_results(filters)
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
        for i in _initiatives(filters)
        .annotate(
            weight_total=Coalesce(
                Sum(contribution_weight("alignments__contribution"), filter=col_link), 0.0
            ),
            links=Count("alignments", filter=col_link),
        )
        .filter(links__gt=0)
        .order_by(F("rank").asc(nulls_last=True), "-priority_score", "id")
    ]
    alignments = _alignments(filters)
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


# --- unaligned work -------------------------------------------------------------


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


def alignment_unaligned(*, viewer, filters: AlignmentFilters) -> Unaligned:
    """Initiatives in view aligned to no key result in view, best priority first."""
    if not can_view(viewer):
        return Unaligned([], 0, 0.0)
    qs = _initiatives(filters).filter(~_aligned_in_view(filters))
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
        for i in qs.order_by(F("rank").asc(nulls_last=True), "-priority_score", "id")
    ]
    totals = qs.aggregate(count=Count("pk"), effort=Coalesce(Sum("effort"), 0.0))
    return Unaligned(rows, totals["count"], totals["effort"])


# --- unserved and lagging objectives ------------------------------------------------


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
    """Objectives and key results no planned initiative serves, or that lag. Two queries."""
    if not can_view(viewer):
        return Unserved([], 0, 0, 0, 0)
    planned = _planned(filters).values("pk")
    objectives = (
        _objectives(filters)
        .annotate(
            planned_initiatives=Count(
                "key_results__alignments__initiative",
                filter=Q(key_results__alignments__initiative__in=planned),
                distinct=True,
            )
        )
        .order_by("period", "-weight", "title", "id")
    )
    key_results = (
        _key_results(filters)
        .select_related("objective")
        .annotate(
            planned_initiatives=Count(
                "alignments__initiative",
                filter=Q(alignments__initiative__in=planned),
                distinct=True,
            )
        )
        .order_by("objective_id", "id")
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
                kr.planned_initiatives,
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
                o.planned_initiatives,
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


# --- effort per objective ---------------------------------------------------------------


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
    krs_in_view = _key_results(filters).values("pk")
    planned_links = Alignment.objects.filter(
        key_result__in=krs_in_view, initiative__in=_planned(filters).values("pk")
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
        _objectives(filters)
        .annotate(
            total_weight=Subquery(
                _objectives(filters)
                .order_by()
                .annotate(total=Func(F("weight"), function="SUM"))
                .values("total")[:1],
                output_field=FloatField(),
            )
        )
        .order_by("period", "-weight", "title", "id")
    )
    planned = _planned(filters).annotate(aligned=_aligned_in_view(filters))
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
                weight_share=_share(o.weight, o.total_weight or 0.0),
                person_months=person_months,
                effort_share=_share(person_months, total),
                initiatives=(split.get(o.pk) or {}).get("initiatives") or 0,
            )
        )
    return Effort(
        objectives=rows,
        planned_person_months=total,
        unaligned_person_months=totals["unaligned"],
        unaligned_share=_share(totals["unaligned"], total),
        unaligned_initiatives=totals["unaligned_count"],
    )


# --- segments ------------------------------------------------------------------------------


@dataclass
class SegmentColumn:
    id: int | None  # None: evidence from no customer, or a customer without a segment
    name: str
    weight: float | None


@dataclass
class SegmentInitiative:
    id: int
    title: str
    lane: str
    status: str
    team: str
    evidence: int
    customers: int
    revenue: Decimal
    cells: list[int] = field(default_factory=list)  # evidence per segment column


@dataclass
class SegmentCoverage:
    id: int | None
    name: str
    evidence: int
    unlinked: int
    on_planned: int
    customers: int
    planned_initiatives: int

    @property
    def on_other(self) -> int:
        """Linked to work that is not planned: shipped, archived, later or filtered out."""
        return self.evidence - self.unlinked - self.on_planned

    @property
    def unanswered(self) -> bool:
        return self.evidence > 0 and self.on_planned == 0


@dataclass
class Segments:
    columns: list[SegmentColumn]
    initiatives: list[SegmentInitiative]
    coverage: list[SegmentCoverage]
    max_cell: int

    @property
    def unanswered(self) -> list[SegmentCoverage]:
        return [c for c in self.coverage if c.unanswered]


NO_SEGMENT = "No segment"
CENTS = Decimal("0.01")
ZERO = Decimal("0.00")


def _customers_behind(initiatives: QuerySet[Initiative]) -> dict[int, tuple[int, Decimal]]:
    """Per initiative: distinct customers behind its evidence and the sum of their
    annual revenue, each customer counted once. One grouped query over the distinct
    (initiative, customer) pairs; the ORM has no derived tables, so it is written
    in SQL that SQLite and PostgreSQL both run. Only table names and the ORM's own
    compiled SQL are interpolated; every value is a bound parameter.
    """
    scope_sql, params = initiatives.order_by().values("pk").query.sql_with_params()
    sql = f"""
        SELECT pairs.initiative_id, COUNT(*), SUM(c.annual_revenue)
        FROM (
            SELECT DISTINCT e.initiative_id, e.customer_id
            FROM {Evidence._meta.db_table} e
            WHERE e.customer_id IS NOT NULL AND e.initiative_id IN ({scope_sql})
        ) pairs
        JOIN {Customer._meta.db_table} c ON c.id = pairs.customer_id
        GROUP BY pairs.initiative_id
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {
            pk: (customers, Decimal(str(revenue or 0)).quantize(CENTS))
            for pk, customers, revenue in cursor.fetchall()
        }


def alignment_segments(*, viewer, filters: AlignmentFilters) -> Segments:
    """Evidence per initiative and segment, the customers and revenue behind each
    initiative, and which segments the planned roadmap answers. Five queries.
    """
    if not can_view(viewer):
        return Segments([], [], [], 0)
    segments = list(Segment.objects.order_by("name", "id"))
    columns = [SegmentColumn(s.pk, s.name, s.weight) for s in segments]
    columns.append(SegmentColumn(None, NO_SEGMENT, None))
    index = {c.id: n for n, c in enumerate(columns)}

    in_view = _initiatives(filters)
    # Correlated subquery, not a join + GROUP BY: a subquery in a grouped
    # SELECT is evaluated once per joined evidence row (tens of seconds at
    # 200k evidence); here it runs once per initiative, on the evidence index.
    own_evidence = (
        Evidence.objects.filter(initiative_id=OuterRef("pk")).order_by().values("initiative_id")
    )
    initiatives = list(
        in_view.annotate(
            evidence_total=Coalesce(Subquery(own_evidence.annotate(n=Count("pk")).values("n")), 0)
        ).order_by("-evidence_total", F("rank").asc(nulls_last=True), "id")
    )
    backers = _customers_behind(in_view)
    heat = (
        Evidence.objects.filter(initiative__in=in_view.values("pk"))
        .values("initiative_id", "customer__segment_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    cells: dict[int, list[int]] = {i.pk: [0] * len(columns) for i in initiatives}
    max_cell = 0
    for row in heat:
        cells[row["initiative_id"]][index[row["customer__segment_id"]]] = row["n"]
        max_cell = max(max_cell, row["n"])
    rows = [
        SegmentInitiative(
            i.pk,
            i.title,
            i.lane,
            i.status,
            i.team,
            i.evidence_total,
            backers.get(i.pk, (0, ZERO))[0],
            backers.get(i.pk, (0, ZERO))[1],
            cells[i.pk],
        )
        for i in initiatives
    ]

    planned = _planned(filters).values("pk")
    on_planned = Q(initiative__in=planned)
    by_segment = {
        row["customer__segment_id"]: row
        for row in Evidence.objects.values("customer__segment_id")
        .annotate(
            evidence=Count("pk"),
            unlinked=Count("pk", filter=Q(initiative__isnull=True)),
            on_planned=Count("pk", filter=on_planned),
            customers=Count("customer", distinct=True),
            planned_initiatives=Count("initiative", filter=on_planned, distinct=True),
        )
        .order_by()
    }
    coverage = []
    for c in columns:
        row = by_segment.get(c.id, {})
        coverage.append(
            SegmentCoverage(
                c.id,
                c.name,
                row.get("evidence", 0),
                row.get("unlinked", 0),
                row.get("on_planned", 0),
                row.get("customers", 0),
                row.get("planned_initiatives", 0),
            )
        )
    return Segments(columns, rows, coverage, max_cell)


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
