"""Segments: the customer evidence of each segment against the work in view."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Count,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce

from roadmap.models import Customer, Evidence, Initiative, Segment
from roadmap.permissions import can_view

from .scope import (
    AlignmentFilters,
    initiatives_in_view,
    planned_in_view,
)


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

    in_view = initiatives_in_view(filters)
    # Correlated subquery, not a join + GROUP BY: a subquery in a grouped
    # SELECT is evaluated once per joined evidence row (tens of seconds at
    # 200k evidence); here it runs once per initiative, on the evidence index.
    own_evidence = (
        Evidence.objects.filter(initiative_id=OuterRef("pk")).order_by().values("initiative_id")
    )
    initiatives = list(
        in_view.annotate(
            evidence_total=Coalesce(Subquery(own_evidence.annotate(n=Count("pk")).values("n")), 0)
        ).order_by("-evidence_total", F("rank_key").asc(nulls_last=True), "id")
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

    planned = planned_in_view(filters).values("pk")
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
