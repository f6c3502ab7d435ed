"""The segments tab: open initiatives by the evidence of a chosen set of segments, paged.

Reads the counted rows (`SegmentCount`), not the evidence: sorting every
initiative in view by the evidence or revenue of any set of segments is then a
GROUP BY over those rows (one per initiative and segment with evidence), not
over every evidence item. The figures are as of `counted_at`.
A fixed number of queries whatever the size: six, or five when every segment
is picked (the per-initiative totals are rows of their own).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from roadmap.models import Initiative, Segment, SegmentCount
from roadmap.permissions import can_view

from .scope import (
    OPEN_STATUSES,
    PLANNED_LANES,
    AlignmentFilters,
    initiatives_in_view,
    planned_in_view,
)
from .segments import NO_SEGMENT, SegmentColumn, SegmentCoverage

SORTS = {"evidence": "items", "revenue": "revenue", "customers": "customers"}
NO_SEGMENT_KEY = "none"


@dataclass
class SegmentRow:
    id: int
    title: str
    lane: str
    status: str
    team: str
    rank: int | None
    evidence: int
    customers: int
    revenue: Decimal
    cells: list[int] = field(default_factory=list)  # evidence per picked segment


@dataclass
class SegmentTable:
    segments: list[SegmentColumn]  # every segment, and "No segment" last
    picked: list[SegmentColumn]  # the columns shown
    rows: list[SegmentRow]  # one page
    count: int  # initiatives in view with evidence from the picked segments
    max_cell: int
    coverage: list[SegmentCoverage]
    counted_at: datetime | None
    sort: str

    @property
    def unanswered(self) -> list[SegmentCoverage]:
        return [c for c in self.coverage if c.unanswered]


def segment_key(column: SegmentColumn) -> str:
    return NO_SEGMENT_KEY if column.id is None else str(column.id)


def _segment_filter(picked: list[SegmentColumn]) -> Q:
    ids = [c.id for c in picked if c.id is not None]
    q = Q(segment_id__in=ids)
    if any(c.id is None for c in picked):
        q |= Q(segment_id__isnull=True)
    return q


def _totals(in_view: QuerySet, picked: list[SegmentColumn], every: bool, sort: str) -> QuerySet:
    if every:
        return SegmentCount.objects.filter(
            kind=SegmentCount.Kind.INITIATIVE, initiative__in=in_view
        ).values("initiative_id", "items", "customers", "revenue")
    return (
        SegmentCount.objects.filter(
            _segment_filter(picked), kind=SegmentCount.Kind.PAIR, initiative__in=in_view
        )
        .values("initiative_id")
        .annotate(items=Sum("items"), customers=Sum("customers"), revenue=Sum("revenue"))
    )


def alignment_segment_table(
    *,
    viewer,
    filters: AlignmentFilters,
    picked_keys: set[str] | None = None,
    sort: str = "evidence",
    offset: int = 0,
    limit: int = 50,
) -> SegmentTable:
    """Initiatives in view ranked by the evidence (or revenue, or customers) of the
    picked segments (`picked_keys`: segment ids and "none"; None or empty: all)."""
    sort = sort if sort in SORTS else "evidence"
    if not can_view(viewer):
        return SegmentTable([], [], [], 0, 0, [], None, sort)
    segments = [SegmentColumn(s.pk, s.name, s.weight) for s in Segment.objects.order_by("name")]
    segments.append(SegmentColumn(None, NO_SEGMENT, None))
    picked = [c for c in segments if not picked_keys or segment_key(c) in picked_keys]
    every = len(picked) == len(segments)
    in_view = initiatives_in_view(filters).values("pk")

    totals = _totals(in_view, picked, every, sort)
    count = _count(filters) if every and not filters.period else totals.order_by().count()
    metric = SORTS[sort]
    page = list(totals.order_by(f"-{metric}", "initiative_id")[offset : offset + limit])
    ids = [t["initiative_id"] for t in page]
    initiatives = (
        Initiative.objects.only("id", "title", "lane", "status", "team", "rank_key")
        .with_ranks()
        .in_bulk(ids)
    )
    index = {c.id: n for n, c in enumerate(picked)}
    cells: dict[int, list[int]] = {pk: [0] * len(picked) for pk in ids}
    max_cell = 0
    for row in SegmentCount.objects.filter(
        _segment_filter(picked), kind=SegmentCount.Kind.PAIR, initiative_id__in=ids
    ).values_list("initiative_id", "segment_id", "items"):
        cells[row[0]][index[row[1]]] = row[2]
        max_cell = max(max_cell, row[2])
    rows = [
        SegmentRow(
            pk,
            initiatives[pk].title,
            initiatives[pk].lane,
            initiatives[pk].status,
            initiatives[pk].team,
            initiatives[pk].rank,
            t["items"],
            t["customers"],
            Decimal(t["revenue"] or 0),
            cells[pk],
        )
        for t in page
        if (pk := t["initiative_id"]) in initiatives
    ]
    return SegmentTable(
        segments,
        picked,
        rows,
        count,
        max_cell,
        _coverage(segments, filters),
        SegmentCount.objects.order_by().values_list("counted_at", flat=True).first(),
        sort,
    )


def _in_groups(kind: str, filters: AlignmentFilters, lanes) -> QuerySet:
    """The group rows of open initiatives in `lanes` that match the lane and team filters."""
    groups = SegmentCount.objects.filter(
        kind=kind,
        status__in=OPEN_STATUSES,
        lane__in=[lane for lane in lanes if filters.lane in ("", lane)],
    )
    return groups.filter(team=filters.team) if filters.team else groups


def _count(filters: AlignmentFilters) -> int:
    """Initiatives in view with counted evidence (no period): a sum of `group_all` rows."""
    return (
        _in_groups(SegmentCount.Kind.INITIATIVES, filters, Initiative.Lane.values).aggregate(
            n=Sum("initiatives")
        )["n"]
        or 0
    )


def _planned(filters: AlignmentFilters) -> QuerySet:
    """Per segment: the counted evidence on planned work in view, and how many
    planned initiatives in view have any. Without a period, a sum over the group
    rows (one per segment, status, lane and team); a period also takes in work
    aligned to that period's key results, which no group tells, so then it is a
    sum over the pair rows of the planned initiatives.
    """
    if filters.period:
        return (
            SegmentCount.objects.filter(
                kind=SegmentCount.Kind.PAIR, initiative__in=planned_in_view(filters).values("pk")
            )
            .values("segment_id")
            .annotate(items=Sum("items"), initiatives=Count("initiative_id"))
            .order_by()
        )
    groups = _in_groups(SegmentCount.Kind.GROUP, filters, PLANNED_LANES)
    return (
        groups.values("segment_id")
        .annotate(items=Sum("items"), initiatives=Sum("initiatives"))
        .order_by()
    )


def _coverage(segments: list[SegmentColumn], filters: AlignmentFilters) -> list[SegmentCoverage]:
    """Which segments the planned roadmap in view answers (as `alignment_segments`). Two queries."""
    totals: dict[int | None, dict] = {}
    for kind, segment_id, items, customers in SegmentCount.objects.filter(
        kind__in=[SegmentCount.Kind.SEGMENT, SegmentCount.Kind.UNLINKED]
    ).values_list("kind", "segment_id", "items", "customers"):
        totals.setdefault(segment_id, {})[kind] = (items, customers)
    planned = {row["segment_id"]: row for row in _planned(filters)}
    coverage = []
    for c in segments:
        seen = totals.get(c.id, {})
        evidence, customers = seen.get(SegmentCount.Kind.SEGMENT, (0, 0))
        coverage.append(
            SegmentCoverage(
                c.id,
                c.name,
                evidence,
                seen.get(SegmentCount.Kind.UNLINKED, (0, 0))[0],
                planned.get(c.id, {}).get("items", 0),
                customers,
                planned.get(c.id, {}).get("initiatives", 0),
            )
        )
    return coverage
