"""Ranks are counted when read (roadmap.models.ranks), never stored by the rescore."""

import pytest
from django.db import connection

from roadmap import services
from roadmap.models import Initiative
from roadmap.models.ranks import RANK_ORDER, attach_ranks, rank_finder, ranks_by_id
from tests.factories import InitiativeFactory
from tests.ranks import current_ranks, ranked_ids

pytestmark = pytest.mark.django_db


def _rescore():
    return services.initiatives_rescore_marked()


def _xmin(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT xmin::text FROM roadmap_initiative WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_a_filtered_list_shows_each_initiative_its_place_in_the_whole_ranking():
    core = [InitiativeFactory(reach=r, team="Core") for r in (50, 30, 10)]
    growth = [InitiativeFactory(reach=r, team="Growth") for r in (40, 20)]
    shipped = InitiativeFactory(reach=99, team="Core", status="shipped")
    _rescore()

    listed = list(Initiative.objects.filter(team="Core").order_by(*RANK_ORDER).with_ranks())

    assert [(i.pk, i.rank) for i in listed] == [
        (core[0].pk, 1),
        (core[1].pk, 3),
        (core[2].pk, 5),
        (shipped.pk, None),
    ]
    growth[1].refresh_from_db()
    assert growth[1].rank == 4
    assert ranks_by_id([(g.pk, g.rank_key) for g in Initiative.objects.filter(team="Growth")]) == {
        growth[0].pk: 2,
        growth[1].pk: 4,
    }


def test_equal_scores_rank_by_id_and_a_page_deep_in_the_list_counts_what_is_above():
    same = [InitiativeFactory(reach=10) for _ in range(4)]
    top = InitiativeFactory(reach=100)
    _rescore()

    assert ranked_ids() == [top.pk, *(i.pk for i in same)]
    page = list(Initiative.objects.filter(pk__in=[same[2].pk, same[3].pk]))
    attach_ranks(page)
    assert {i.pk: i.rank for i in page} == {same[2].pk: 4, same[3].pk: 5}
    finder = rank_finder()
    assert [finder(i.rank_key, i.pk) for i in page] == [4, 5]
    assert finder(None, top.pk) is None


def test_work_is_ranked_once_scored_and_open():
    fresh = InitiativeFactory(reach=10)
    assert fresh.rank is None  # not scored yet
    _rescore()
    fresh.refresh_from_db()
    assert fresh.rank == 1
    Initiative.objects.filter(pk=fresh.pk).update(status="shipped")
    fresh.refresh_from_db()
    assert fresh.rank is None  # the key follows the status at once


def test_a_lift_writes_only_its_own_row_and_the_ranks_it_passes_follow():
    """30 initiatives; the last one lifted to the top passes 29 without writing them."""
    rows = [InitiativeFactory(reach=100 - k) for k in range(30)]
    _rescore()
    passed_far = rows[25]  # #26, far from the top: no snapshot, not rewritten
    before = _xmin(passed_far.pk) if connection.vendor == "postgresql" else None
    assert current_ranks()[passed_far.pk] == 26

    lifted = rows[-1]
    services.initiative_update(actor=None, initiative=lifted, data={"reach": 1000})
    result = _rescore()

    assert result.changed_ids == [lifted.pk]
    ranks = current_ranks()
    assert ranks[lifted.pk] == 1
    assert ranks[passed_far.pk] == 27
    lifted.refresh_from_db()
    assert lifted.previous_rank == 30
    snapshot = lifted.snapshots.first()
    assert (snapshot.rank, snapshot.previous_rank) == (1, 30)
    # Near the top, a rank that moved while its score stood gets a snapshot.
    assert rows[0].snapshots.first().causes[0]["kind"] == "rank_shift"
    assert not rows[25].snapshots.exclude(trigger="edit").filter(rank=27).exists()
    if before is not None:
        assert _xmin(passed_far.pk) == before


def test_deleting_closes_the_gap_without_a_rescore():
    a, b, c = (InitiativeFactory(reach=r) for r in (30, 20, 10))
    _rescore()
    services.initiative_delete(actor=None, initiative=b)
    assert not Initiative.objects.filter(needs_rescore=True).exists()
    assert current_ranks() == {a.pk: 1, c.pk: 2}


def test_a_top_row_passed_by_several_in_one_run_names_the_nearest_first():
    rows = [InitiativeFactory(reach=100 - k) for k in range(30)]
    _rescore()
    risers = rows[-3:]  # #28-#30 lifted to #1-#3 in one run
    for n, riser in enumerate(risers):
        services.initiative_update(actor=None, initiative=riser, data={"reach": 1000 + n})
    _rescore()

    assert current_ranks()[rows[0].pk] == 4
    snapshot = rows[0].snapshots.first()
    assert (snapshot.rank, snapshot.previous_rank) == (4, 1)
    (shift,) = snapshot.causes
    assert [p["id"] for p in shift["passed_by"]] == [risers[0].pk, risers[1].pk, risers[2].pk]
