"""The timeline's reads: a page of bars grouped by team or objective, and capacity.

Every figure of a page comes from a fixed number of queries whatever the size
of the roadmap: the group counts (one GROUP BY), the page of rows (LIMIT /
OFFSET in group order), the planned effort of every team and quarter of the
window (one GROUP BY team and plan over *all* matching initiatives, not only
the page, summed per quarter here) and the capacities set for the window.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import (
    Count,
    F,
    Q,
    QuerySet,
    Sum,
)

from roadmap.models import Alignment, Initiative, TeamCapacity
from roadmap.models.ranks import RANK_ORDER
from roadmap.permissions import can_view
from roadmap.planning import Load, effort_in_quarter, quarters_from
from roadmap.selectors import initiative_teams

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
    "rank_key",
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
    teams: list[str]  # every team with initiatives or capacity in the window, for the filter


def _matching(filters: TimelineFilters) -> Q:
    """The filters as one condition (objective through a subquery: each initiative once)."""
    archived = Initiative.Status.ARCHIVED
    match = Q(status=filters.status) if filters.status else ~Q(status=archived)
    if filters.lane:
        match &= Q(lane=filters.lane)
    if filters.team:
        match &= Q(team=filters.team)
    if filters.objective is not None:
        # IN (uncorrelated) rather than EXISTS: inside the aggregates' FILTER clauses
        # PostgreSQL hashes it once instead of probing per row and per aggregate.
        serves = Alignment.objects.filter(key_result__objective_id=filters.objective)
        match &= Q(pk__in=serves.values("initiative_id"))
    if filters.plan == "scheduled":
        match &= ~Q(start_quarter="")
    elif filters.plan == "unscheduled":
        match &= Q(start_quarter="")
    return match


def _visible(viewer) -> QuerySet[Initiative]:
    return Initiative.objects.all() if can_view(viewer) else Initiative.objects.none()


def timeline_matching(*, viewer, filters: TimelineFilters) -> QuerySet[Initiative]:
    """Initiatives the filters select, each once."""
    return _visible(viewer).filter(_matching(filters))


def _overlaps(quarters: list[str]) -> Q:
    return ~Q(start_quarter="") & Q(start_quarter__lte=quarters[-1], end_quarter__gte=quarters[0])


@dataclass(frozen=True)
class TeamTotals:
    shown: int  # matching rows the page draws (in the window or unscheduled)
    outside: int  # matching rows planned entirely outside the window
    planned: list[float]  # person-months per quarter of the window


def team_totals(initiatives: QuerySet[Initiative], quarters: list[str]) -> dict[str, TeamTotals]:
    """Per team of `initiatives`: rows shown, rows outside the window, effort planned.

    One GROUP BY team and plan (an index-only scan of initiative_team_rank_key),
    then the plans' sums spread here: as many groups as teams times distinct
    plans, whatever the number of initiatives. `planned` spreads each plan's
    effort evenly over its span (planning.effort_in_quarter of the sum).
    """
    first, last = quarters[0], quarters[-1]
    rows = (
        initiatives.order_by()
        .values_list("team", "start_quarter", "end_quarter")
        .annotate(n=Count("id"), effort=Sum("effort"))
    )
    sums: dict[str, tuple[list[int], list[float]]] = {}
    for team, start, end, n, effort in rows:
        counts, planned = sums.setdefault(team, ([0, 0], [0.0] * len(quarters)))
        if start and not (start <= last and end >= first):
            counts[1] += n
            continue
        counts[0] += n
        for i, quarter in enumerate(quarters):
            planned[i] += effort_in_quarter(effort, start, end, quarter)
    return {
        team: TeamTotals(shown=counts[0], outside=counts[1], planned=planned)
        for team, (counts, planned) in sums.items()
    }


def planned_effort(matching: QuerySet[Initiative], quarters: list[str]) -> dict[str, list[float]]:
    """Person-months planned per team in each quarter, for teams with any."""
    totals = team_totals(matching, quarters)
    return {team: t.planned for team, t in totals.items() if any(t.planned)}


def _capacity(
    filters: TimelineFilters, planned: dict[str, list[float]]
) -> tuple[dict[str, list[Load]], set[str]]:
    """Loads of the teams the filters show, and every team with capacity in the window."""
    quarters = filters.window
    capacities: dict[str, dict[str, float]] = {}
    set_for = TeamCapacity.objects.filter(quarter__in=quarters)
    for team, quarter, months in set_for.values_list("team", "quarter", "person_months"):
        capacities.setdefault(team, {})[quarter] = months
    shown = set(planned) | {t for t in capacities if not filters.team or t == filters.team}
    zero = [0.0] * len(quarters)
    loads = {
        team: [
            Load(planned=p, capacity=capacities.get(team, {}).get(q))
            for p, q in zip(planned.get(team, zero), quarters, strict=True)
        ]
        for team in sorted(shown, key=lambda t: (t == "", t.lower()))
    }
    return loads, set(capacities)


def timeline_page(*, viewer, filters: TimelineFilters) -> TimelinePage:
    quarters = filters.window
    match = _matching(filters)
    totals = team_totals(_visible(viewer).filter(match), quarters)
    planned = {team: t.planned for team, t in totals.items() if any(t.planned)}
    loads, with_capacity = _capacity(filters, planned)
    shown = _visible(viewer).filter(match).filter(_overlaps(quarters) | Q(start_quarter=""))
    if filters.group == "objective":
        groups, total, page, pages = _by_objective(shown, filters)
    else:
        counts = {team: t.shown for team, t in totals.items() if t.shown}
        groups, total, page, pages = _by_team(shown, filters, loads, counts)
    capacity = [(team or NO_TEAM, team_loads) for team, team_loads in loads.items()]
    named = initiative_teams(viewer=viewer)
    teams = sorted({team for team in (*named, *with_capacity) if team}, key=str.lower)
    outside = sum(t.outside for t in totals.values())
    return TimelinePage(quarters, groups, total, page, pages, capacity, outside, teams)


def _pages(total: int, asked: int) -> tuple[int, int]:
    pages = max(1, -(-total // PAGE_ROWS))
    return min(max(1, asked), pages), pages


def _window(rows: list, offset: int) -> tuple[list, object | None]:
    """The page's rows, and the group key of the row just before the page (None on page 1)."""
    if offset == 0:
        return rows, None
    return rows[1:], rows[0]


def _by_team(shown, filters, loads, counts):
    total = sum(counts.values())
    page, pages = _pages(total, filters.page)
    offset = (page - 1) * PAGE_ROWS
    # One row more before the page says whether its first group began on an earlier page.
    rows, before = _window(
        _team_rows(shown, counts, max(0, offset - 1), offset + PAGE_ROWS), offset
    )
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


def _team_rows(shown, counts: dict, start: int, stop: int) -> list[Initiative]:
    """Rows start..stop of the teams in order, work without a team last.

    Named teams, then no team: each part in (team, rank) order, which
    initiative_team_rank_key walks from the first row of the page on, so a page
    reads its rows rather than sorting every initiative. One query, two when
    the page spans both parts.
    """
    named = sum(n for team, n in counts.items() if team)
    rows: list[Initiative] = []
    for part, base, size in ((~Q(team=""), 0, named), (Q(team=""), named, counts.get("", 0))):
        low, high = max(start - base, 0), min(stop - base, size)
        if low < high:
            ordered = (
                shown.filter(part).only(*ROW_FIELDS).order_by("team", *RANK_ORDER).with_ranks()
            )
            rows.extend(ordered[low:high])
    return rows


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
    by_id = (
        Initiative.objects.only(*ROW_FIELDS).with_ranks().in_bulk([pk for _, _, pk in pairs_page])
    )
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
