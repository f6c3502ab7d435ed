"""The segment counts' group rows: the pair and initiative rows grouped by the
initiatives as they are now.

The segments tab sums the group rows to count the initiatives in view with
evidence and to tell which segments the planned work in view answers; they must
always equal a fresh GROUP BY of the rows they add up joined to the initiatives,
through every change of an initiative's status, lane or team.
"""

import pytest
from django.db import connection
from django.db.models import Count, Sum
from django.test.utils import CaptureQueriesContext

from roadmap.models import Initiative, SegmentCount
from roadmap.selectors_alignment import AlignmentFilters
from roadmap.selectors_alignment.scope import initiatives_in_view, planned_in_view
from roadmap.selectors_alignment.segment_table import alignment_segment_table
from roadmap.services import initiative_delete, initiative_move, initiative_update
from roadmap.services.segment_counts import segment_counts_refresh, segment_counts_regroup
from tests.alignment.world import Q4
from tests.factories import (
    CustomerFactory,
    EvidenceFactory,
    InitiativeFactory,
    SegmentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

FILTERS = [
    AlignmentFilters(),
    AlignmentFilters(lane="now"),
    AlignmentFilters(lane="next"),
    AlignmentFilters(lane="later"),
    AlignmentFilters(team="Core"),
    AlignmentFilters(team="Growth", lane="next"),
]


def _groups() -> dict:
    rows = SegmentCount.objects.filter(
        kind__in=[SegmentCount.Kind.GROUP, SegmentCount.Kind.INITIATIVES]
    ).values_list("kind", "segment_id", "status", "lane", "team", "items", "initiatives")
    got: dict = {}
    for kind, segment, status, lane, team, items, initiatives in rows:
        key = (kind, segment, status, lane, team)
        was = got.get(key, (0, 0))
        got[key] = (was[0] + items, was[1] + initiatives)
    return {key: value for key, value in got.items() if value != (0, 0)}


def _fresh_groups() -> dict:
    """The pair and initiative rows grouped by their initiatives' status, lane and team."""
    got = {}
    for kind, grouped_as in [("pair", "group"), ("initiative", "group_all")]:
        rows = (
            SegmentCount.objects.filter(kind=kind)
            .values("segment_id", "initiative__status", "initiative__lane", "initiative__team")
            .annotate(items=Sum("items"), initiatives=Count("initiative_id"))
            .order_by()
        )
        for r in rows:
            key = (
                grouped_as,
                r["segment_id"],
                r["initiative__status"],
                r["initiative__lane"],
                r["initiative__team"],
            )
            got[key] = (r["items"], r["initiatives"])
    return got


def _fresh_coverage(filters) -> dict:
    """On planned and planned initiatives per segment, from the pair rows."""
    rows = (
        SegmentCount.objects.filter(
            kind=SegmentCount.Kind.PAIR, initiative__in=planned_in_view(filters).values("pk")
        )
        .values("segment_id")
        .annotate(items=Sum("items"), initiatives=Count("initiative_id"))
        .order_by()
    )
    return {
        "count": _fresh_count(filters),
        **{r["segment_id"]: (r["items"], r["initiatives"]) for r in rows},
    }


def _fresh_count(filters) -> int:
    """Initiatives in view with counted evidence, from the initiative rows."""
    return SegmentCount.objects.filter(
        kind=SegmentCount.Kind.INITIATIVE, initiative__in=initiatives_in_view(filters)
    ).count()


def _coverage(user, filters) -> dict:
    table = alignment_segment_table(viewer=user, filters=filters)
    coverage = {
        c.id: (c.on_planned, c.planned_initiatives)
        for c in table.coverage
        if (c.on_planned, c.planned_initiatives) != (0, 0)
    }
    return {"count": table.count, **coverage}


def test_the_recount_writes_the_pair_rows_grouped_by_status_lane_and_team(world):
    segment_counts_refresh()
    assert _groups() == _fresh_groups()
    # A (planned, now, Core) has Enterprise and Startup evidence and some from no customer.
    assert _groups()["group", world.enterprise.pk, "planned", "now", "Core"] == (3, 1)
    # A, B and C have evidence (E too, shipped); A and C are Core (now, later), B Growth.
    assert _groups()["group_all", None, "planned", "now", "Core"] == (5, 1)


@pytest.mark.parametrize("filters", FILTERS, ids=repr)
def test_the_tab_counts_initiatives_and_planned_work_per_segment_as_the_rows_do(
    world, marketing_user, filters
):
    segment_counts_refresh()
    assert _coverage(marketing_user, filters) == _fresh_coverage(filters)


def test_the_groups_follow_every_change_of_status_lane_or_team_and_a_deletion(
    world, marketing_user
):
    segment_counts_refresh()
    actor = UserFactory()
    initiative_move(actor=actor, initiative=world.c, lane="now")
    assert _groups() == _fresh_groups()
    initiative_update(actor=actor, initiative=world.a, data={"team": "Growth"})
    assert _groups() == _fresh_groups()
    initiative_update(actor=actor, initiative=world.b, data={"status": "shipped", "lane": "later"})
    assert _groups() == _fresh_groups()
    # Fields outside the key leave the groups alone.
    initiative_update(actor=actor, initiative=world.a, data={"effort": 7})
    assert _groups() == _fresh_groups()
    initiative_delete(actor=actor, initiative=world.a)
    assert _groups() == _fresh_groups()
    for filters in FILTERS:
        assert _coverage(marketing_user, filters) == _fresh_coverage(filters)


def test_with_a_period_the_tab_counts_from_the_pair_rows(world, marketing_user):
    segment_counts_refresh()
    filters = AlignmentFilters(period=Q4)
    assert _coverage(marketing_user, filters) == _fresh_coverage(filters)


def _initiative_in_segments(segments: int):
    initiative = InitiativeFactory(status="planned", lane="next", team="Core")
    for _ in range(segments):
        EvidenceFactory(initiative=initiative, customer=CustomerFactory(segment=SegmentFactory()))
    EvidenceFactory(initiative=initiative, customer=CustomerFactory(segment=None))
    return initiative


def test_moving_an_initiative_costs_the_same_queries_whatever_its_number_of_segments():
    few, many = _initiative_in_segments(1), _initiative_in_segments(12)
    segment_counts_refresh()
    counted = []
    for initiative, team in ((few, "X"), (many, "Y")):
        group = ("in_progress", "now", team)
        with CaptureQueriesContext(connection) as queries:
            segment_counts_regroup(
                initiative_id=initiative.pk,
                was=("planned", "next", "Core"),
                now=group,
            )
        counted.append(len(queries))
        assert _groups() == _fresh_groups_if(initiative, group)
    assert counted[0] == counted[1]


def _fresh_groups_if(initiative, group) -> dict:
    """`_fresh_groups` as if `initiative` were in `group` (the regroup alone, no update)."""
    Initiative.objects.filter(pk=initiative.pk).update(
        status=group[0], lane=group[1], team=group[2]
    )
    return _fresh_groups()
