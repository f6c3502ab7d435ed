"""The timeline's reads: a page of bars grouped by team or objective, and capacity.

Every figure of a page comes from a fixed number of queries whatever the size
of the roadmap: the group counts (one GROUP BY), the page of rows (LIMIT /
OFFSET in group order), the planned effort of every team and quarter of the
window (one GROUP BY of conditional sums over *all* matching initiatives, not
only the page) and the capacities set for the window.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast

from roadmap.models import Alignment, Initiative, TeamCapacity
from roadmap.models.quarters import quarter_index_sql
from roadmap.permissions import can_view
from roadmap.planning import Load, quarters_from

PAGE_ROWS = 100
WINDOW_QUARTERS = 6
GROUPS = ("team", "objective")
NO_TEAM = "No team"
NO_OBJECTIVE = "No objective"
ROW_FIELDS = (
    "id",
    "title",
    "status",
    "lane",
    "team",
    "rank",
    "priority_score",
    "effort",
    "start_quarter",
    "end_quarter",
    "version",
)


@dataclass(frozen=True)
class TimelineFilters:
    first: str  # the window's first quarter
    group: str = "team"
    lane: str = ""
    status: str = ""  # empty: everything but archived
    team: str = ""
    objective: int | None = None
    plan: str = ""  # "", "scheduled" or "unscheduled"
    page: int = 1
    quarters: int = WINDOW_QUARTERS

    @property
    def window(self) -> list[str]:
        return quarters_from(self.first, self.quarters)


@dataclass
class Group:
    key: str | int | None
    label: str
    count: int
    loads: list[Load] | None = None  # by team: planned vs capacity per quarter of the window
    rows: list[Initiative] = field(default_factory=list)
    continued: bool = False  # it began on an earlier page


@dataclass
class TimelinePage:
    quarters: list[str]
    groups: list[Group]
    total: int  # rows over all pages (an initiative counts once per objective it serves)
    page: int
    pages: int
    capacity: list[tuple[str, list[Load]]]  # every team with work or capacity in the window
    outside: int  # matching initiatives planned entirely outside the window


def timeline_matching(*, viewer, filters: TimelineFilters) -> QuerySet[Initiative]:
    """Initiatives the filters select, each once (objective through EXISTS, not a join)."""
    qs = Initiative.objects.all()
    if filters.status:
        qs = qs.filter(status=filters.status)
    else:
        qs = qs.exclude(status=Initiative.Status.ARCHIVED)
    if filters.lane:
        qs = qs.filter(lane=filters.lane)
    if filters.team:
        qs = qs.filter(team=filters.team)
    if filters.objective is not None:
        serves = Alignment.objects.filter(
            initiative_id=OuterRef("pk"), key_result__objective_id=filters.objective
        )
        qs = qs.filter(Exists(serves))
    if filters.plan == "scheduled":
        qs = qs.exclude(start_quarter="")
    elif filters.plan == "unscheduled":
        qs = qs.filter(start_quarter="")
    return qs if can_view(viewer) else qs.none()


def _overlaps(quarters: list[str]) -> Q:
    return ~Q(start_quarter="") & Q(start_quarter__lte=quarters[-1], end_quarter__gte=quarters[0])


def planned_effort(matching: QuerySet[Initiative], quarters: list[str]) -> dict[str, list[float]]:
    """Person-months planned per team in each quarter, effort spread evenly over the span.

    The SQL twin of planning.effort_in_quarter summed over `matching`.
    """
    span = quarter_index_sql("end_quarter") - quarter_index_sql("start_quarter") + 1
    per_quarter = F("effort") / Cast(span, FloatField())
    sums = {
        f"q{n}": Sum(
            Case(
                When(Q(start_quarter__lte=q, end_quarter__gte=q), then=per_quarter),
                default=Value(0.0),
                output_field=FloatField(),
            )
        )
        for n, q in enumerate(quarters)
    }
    rows = matching.filter(_overlaps(quarters)).order_by().values("team").annotate(**sums)
    return {row["team"]: [row[f"q{n}"] or 0.0 for n in range(len(quarters))] for row in rows}


def _capacity(filters: TimelineFilters, planned: dict[str, list[float]]) -> dict[str, list[Load]]:
    quarters = filters.window
    set_for = TeamCapacity.objects.filter(quarter__in=quarters)
    if filters.team:
        set_for = set_for.filter(team=filters.team)
    capacities: dict[str, dict[str, float]] = {}
    for team, quarter, months in set_for.values_list("team", "quarter", "person_months"):
        capacities.setdefault(team, {})[quarter] = months
    teams = sorted(set(planned) | set(capacities), key=lambda t: (t == "", t.lower()))
    zero = [0.0] * len(quarters)
    return {
        team: [
            Load(planned=p, capacity=capacities.get(team, {}).get(q))
            for p, q in zip(planned.get(team, zero), quarters, strict=True)
        ]
        for team in teams
    }


def timeline_page(*, viewer, filters: TimelineFilters) -> TimelinePage:
    quarters = filters.window
    matching = timeline_matching(viewer=viewer, filters=filters)
    loads = _capacity(filters, planned_effort(matching, quarters))
    shown = matching.filter(_overlaps(quarters) | Q(start_quarter=""))
    outside = matching.exclude(_overlaps(quarters) | Q(start_quarter="")).count()
    if filters.group == "objective":
        groups, total, page, pages = _by_objective(shown, filters)
    else:
        groups, total, page, pages = _by_team(shown, filters, loads)
    capacity = [(team or NO_TEAM, team_loads) for team, team_loads in loads.items()]
    return TimelinePage(quarters, groups, total, page, pages, capacity, outside)


def _pages(total: int, asked: int) -> tuple[int, int]:
    pages = max(1, -(-total // PAGE_ROWS))
    return min(max(1, asked), pages), pages


RANK_ORDER = (F("rank").asc(nulls_last=True), F("priority_score").desc(), "id")


def _window(rows: list, offset: int) -> tuple[list, object | None]:
    """The page's rows, and the group key of the row just before the page (None on page 1)."""
    if offset == 0:
        return rows, None
    return rows[1:], rows[0]


def _by_team(shown, filters, loads):
    counts = dict(shown.order_by().values_list("team").annotate(n=Count("id")))
    total = sum(counts.values())
    page, pages = _pages(total, filters.page)
    no_team_last = Case(When(team="", then=1), default=0, output_field=IntegerField())
    offset = (page - 1) * PAGE_ROWS
    ordered = shown.only(*ROW_FIELDS).order_by(no_team_last, "team", *RANK_ORDER)
    # One row more before the page says whether its first group began on an earlier page.
    rows, before = _window(list(ordered[max(0, offset - 1) : offset + PAGE_ROWS]), offset)
    groups: list[Group] = []
    for row in rows:
        if not groups or groups[-1].key != row.team:
            groups.append(
                Group(
                    key=row.team,
                    label=row.team or NO_TEAM,
                    count=counts.get(row.team, 0),
                    loads=loads.get(row.team),
                    continued=not groups and before is not None and before.team == row.team,
                )
            )
        groups[-1].rows.append(row)
    return groups, total, page, pages


def _by_objective(shown, filters):
    objective = "alignments__key_result__objective"
    if filters.objective is not None:
        # Only the chosen objective's group, not the others its initiatives also serve.
        shown = shown.filter(**{objective: filters.objective})
    counts = dict(
        shown.order_by()
        .values(group=F(objective))
        .annotate(n=Count("id", distinct=True))
        .values_list("group", "n")
    )
    total = sum(counts.values())
    page, pages = _pages(total, filters.page)
    offset = (page - 1) * PAGE_ROWS
    ordered = (
        shown.values("id", group=F(objective), group_title=F(f"{objective}__title"))
        .distinct()
        .order_by(
            F(f"{objective}__title").asc(nulls_last=True),
            F(objective).asc(nulls_last=True),
            *RANK_ORDER,
        )
    )
    page_pairs = ordered.values_list("group", "group_title", "id")
    pairs_page, before = _window(list(page_pairs[max(0, offset - 1) : offset + PAGE_ROWS]), offset)
    by_id = Initiative.objects.only(*ROW_FIELDS).in_bulk([pk for _, _, pk in pairs_page])
    groups: list[Group] = []
    for key, title, pk in pairs_page:
        if not groups or groups[-1].key != key:
            continued = not groups and before is not None and before[0] == key
            label = title if key is not None else NO_OBJECTIVE
            groups.append(
                Group(key=key, label=label, count=counts.get(key, 0), continued=continued)
            )
        groups[-1].rows.append(by_id[pk])
    return groups, total, page, pages
