"""A re-aggregation of everything read by several connections, each a range of initiatives."""

import threading
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from roadmap import services
from roadmap.models import Initiative
from roadmap.services import marks
from roadmap.services.rescore import aggregate, streams
from tests.factories import CustomerFactory, EvidenceFactory, InitiativeFactory, SegmentFactory


def test_split_points_cut_the_costs_into_runs_of_about_equal_cost():
    assert streams.split_points([(i, 1) for i in range(1, 11)], 2) == [6]
    assert streams.split_points([(i, 1) for i in range(1, 10)], 3) == [4, 7]
    # Skewed: the first initiative carries half of the cost alone.
    assert streams.split_points([(1, 9), (2, 3), (3, 3), (4, 3)], 2) == [2]
    assert streams.split_points([(1, 9), (2, 3), (3, 3), (4, 3)], 3) == [2, 3]


def test_split_points_are_fewer_when_the_costs_cannot_fill_the_runs():
    assert streams.split_points([(1, 5), (2, 5)], 1) == []
    assert streams.split_points([(1, 0), (2, 0)], 2) == []
    assert streams.split_points([], 2) == []
    assert streams.split_points([(7, 1)], 3) == []  # one id: one run


@pytest.mark.parametrize(
    "cached",
    [None, [], [5, 3], [3, 3], ["3"], "3", [2.5]],
    ids=["none", "empty", "descending", "repeated", "text", "not-a-list", "float"],
)
def test_an_unusable_split_reads_everything_in_one_range(cached):
    key = f"{streams.SPLIT_KEY}:2"
    cache.delete(key)
    if cached is not None:
        cache.set(key, cached)
    assert streams.aggregate_ranges(2) == [(None, None)]
    cache.delete(key)


def test_a_known_split_gives_ranges_that_cover_every_id():
    cache.set(f"{streams.SPLIT_KEY}:3", [40, 90])
    assert streams.aggregate_ranges(3) == [(None, 40), (40, 90), (90, None)]
    assert streams.aggregate_ranges(1) == [(None, None)]
    cache.delete(f"{streams.SPLIT_KEY}:3")


@pytest.mark.django_db
def test_a_full_run_remembers_where_the_evidence_splits_in_two(settings):
    settings.RESCORE_AGGREGATE_STREAMS = 2
    cache.delete(f"{streams.SPLIT_KEY}:2")
    heavy, light, lighter = (InitiativeFactory(reach_source="evidence") for _ in range(3))
    for customer in CustomerFactory.create_batch(6):
        EvidenceFactory(initiative=heavy, customer=customer)
    EvidenceFactory.create_batch(2, initiative=light, customer=CustomerFactory())
    EvidenceFactory(initiative=lighter, customer=CustomerFactory())
    services.initiatives_rescore_marked()
    services.initiatives_mark(ids=None, trigger="schedule")
    services.initiatives_rescore_marked()
    # Costs as stored before the run: items + 4 x customers = 30, 6, 5: the
    # heavy initiative alone is one range.
    assert cache.get(f"{streams.SPLIT_KEY}:2") == [light.pk]


@pytest.mark.django_db
def test_a_what_ifs_ranges_split_the_stored_costs_of_the_initiatives_it_reads():
    cache.set(f"{streams.SPLIT_KEY}:2", [1])  # the rescore's split: not this one's
    edited = InitiativeFactory(reach_source="manual")
    heavy, light, lighter = (InitiativeFactory(reach_source="evidence") for _ in range(3))
    manual = InitiativeFactory(reach_source="manual")
    costs = ((edited, 30, 5), (heavy, 10, 5), (light, 3, 1), (lighter, 2, 1), (manual, 90, 9))
    for initiative, items, customers in costs:
        Initiative.objects.filter(pk=initiative.pk).update(
            evidence_count=items, reach_customers=customers
        )
    with connection.cursor() as cursor:
        # 30, 7, 6: the heavy one alone; the manual one's 126 is not read.
        only = aggregate.TotalsOnly()
        assert streams.ranges_of_totals(cursor, 2, only) == [(None, light.pk), (light.pk, None)]
        assert streams.ranges_of_totals(cursor, 1, only) == [(None, None)]
        # 50, 30, 7, 6: the edited one alone.
        only = aggregate.TotalsOnly((edited.pk,))
        assert streams.ranges_of_totals(cursor, 2, only) == [(None, heavy.pk), (heavy.pk, None)]
    cache.delete(f"{streams.SPLIT_KEY}:2")


needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="streamed reads: PostgreSQL only (set DATABASE_URL)"
)


def _scored():
    return list(
        Initiative.objects.order_by("id").values_list(
            "id",
            "priority_score",
            "reach",
            "evidence_count",
            "rank_key",
            "breakdown",
            "reach_weighted",
            "reach_customers",
            "reach_anonymous",
            "reach_anonymous_items",
            "reach_items",
        )
    )


def _forget_scores_and_sums():
    """Nothing kept: every sum, score and rank the next run writes comes from its reads."""
    Initiative.objects.update(
        reach_anchor=None,
        reach_weighted=0,
        reach_customers=0,
        reach_anonymous=0,
        reach_anonymous_items=0,
        reach_items=0,
        priority_score=0,
        reach=0,
        evidence_count=0,
        breakdown={},
    )


def _evidence_on_many(now):
    segments = [SegmentFactory(weight=w) for w in (1.0, 2.5, 0.5)]
    customers = [CustomerFactory(segment=segments[n % 3]) for n in range(12)]
    initiatives = [
        InitiativeFactory(reach_source="evidence", impact=1, confidence=100, effort=1)
        for _ in range(9)
    ]
    for n, initiative in enumerate(initiatives):
        for k in range(n + 1):
            EvidenceFactory(
                initiative=initiative,
                customer=customers[(n + k) % 12] if k % 4 else None,
                received_at=now - timedelta(days=3 * k),
            )
    return initiatives


@needs_postgres
@pytest.mark.parametrize("ranges", [2, 3])
def test_ranges_read_on_several_connections_score_as_one_read_does(
    transactional_db, settings, monkeypatch, ranges
):
    """The same scores, sums and breakdowns, and the last range may arrive first."""
    monkeypatch.setattr(marks, "_send_nudge", lambda: None)
    now = timezone.now()
    initiatives = _evidence_on_many(now)
    settings.RESCORE_AGGREGATE_STREAMS = 1
    services.initiatives_rescore_marked(now=now)
    services.initiatives_mark(ids=None, trigger="schedule")  # re-aggregate everything
    _forget_scores_and_sums()
    services.initiatives_rescore_marked(now=now + timedelta(days=1))
    one_read = _scored()

    settings.RESCORE_AGGREGATE_STREAMS = ranges
    ids = [i.pk for i in initiatives]
    points = ids[3 : 3 * ranges : 3][: ranges - 1]
    cache.set(f"{streams.SPLIT_KEY}:{ranges}", points)
    read, at_snapshot = [], streams.at_snapshot
    last_done = threading.Event()

    def in_reverse(snapshot, name, work, tuning, items=None):
        # The first range waits until the last one has put all its rows.
        def held(cursor, put):
            if name == "rescore-evidence-0":
                assert last_done.wait(timeout=30)
            work(cursor, put)
            if name == f"rescore-evidence-{ranges - 1}":
                last_done.set()

        if name.startswith("rescore-evidence"):
            read.append(name)
            return at_snapshot(snapshot, name, held, tuning, items)
        return at_snapshot(snapshot, name, work, tuning, items)

    monkeypatch.setattr(streams, "at_snapshot", in_reverse)
    services.initiatives_mark(ids=None, trigger="schedule")
    _forget_scores_and_sums()
    result = services.initiatives_rescore_marked(now=now + timedelta(days=1))
    assert result.claimed == len(initiatives)
    assert sorted(read) == [f"rescore-evidence-{n}" for n in range(ranges)]
    assert last_done.is_set()
    several_reads = _scored()
    assert len(several_reads) == len(one_read) == len(initiatives)
    for mine, theirs in zip(several_reads, one_read, strict=True):
        pk, *numbers = mine
        assert pk == theirs[0]
        assert numbers[4] == theirs[5]  # the breakdown
        numbers.pop(4)
        assert numbers == pytest.approx([*theirs[1:5], *theirs[6:]], rel=1e-9)
    assert all(row[3] > 0 for row in several_reads)
    cache.delete(f"{streams.SPLIT_KEY}:{ranges}")


@needs_postgres
def test_a_range_that_fails_fails_the_run_and_keeps_the_request(
    transactional_db, settings, monkeypatch
):
    monkeypatch.setattr(marks, "_send_nudge", lambda: None)
    now = timezone.now()
    initiatives = _evidence_on_many(now)
    services.initiatives_rescore_marked(now=now)
    before = _scored()
    settings.RESCORE_AGGREGATE_STREAMS = 2
    cache.set(f"{streams.SPLIT_KEY}:2", [initiatives[4].pk])
    query = aggregate.reach_totals_query

    def broken_second_range(ids, now, policy, between=(None, None), only=None):
        if between[0] is not None:
            raise RuntimeError("the second range broke")
        return query(ids, now, policy, between, only)

    monkeypatch.setattr(aggregate, "reach_totals_query", broken_second_range)
    services.initiatives_mark(ids=None, trigger="schedule")
    with pytest.raises(RuntimeError, match="second range"):
        services.initiatives_rescore_marked(now=now + timedelta(days=1))
    assert _scored() == before
    from roadmap.models import FullRescore

    assert FullRescore.objects.count() == 1  # still asked for
    cache.delete(f"{streams.SPLIT_KEY}:2")


def test_rows_that_come_before_the_pending_items_are_kept_for_the_stream():
    arrivals = streams.Arrivals(2)
    done = streams.DONE
    for item in ([(7, "b")], done, streams.PendingItems([("p",)]), [(1, "a")], done):
        arrivals.items.put(item)
    assert arrivals.pending() == [("p",)]
    assert list(arrivals.rows()) == [(7, "b"), (1, "a")]


def test_reads_that_end_without_the_pending_items_say_so():
    arrivals = streams.Arrivals(1)
    arrivals.items.put([(1, "a")])
    arrivals.items.put(streams.DONE)
    with pytest.raises(RuntimeError, match="without the pending items"):
        arrivals.pending()


def test_a_read_that_failed_fails_whoever_takes_its_rows():
    arrivals = streams.Arrivals(2)
    arrivals.items.put([(1, "a")])
    arrivals.items.put(ValueError("lost the connection"))
    rows = arrivals.rows()
    assert next(rows) == (1, "a")
    with pytest.raises(ValueError, match="lost the connection"):
        next(rows)


@needs_postgres
@pytest.mark.parametrize("change", [{"revenue_weight": 1.5}, {"half_life_days": 20.0}])
def test_a_preview_read_in_ranges_is_the_preview_read_on_one_connection(
    transactional_db, settings, monkeypatch, change
):
    """A revenue or half-life what-if outside a caller's transaction aggregates in ranges."""
    from roadmap.scoring import ScoringPolicy
    from roadmap.selectors_preview import ranking_preview
    from roadmap.services.policy import policy_current

    monkeypatch.setattr(marks, "_send_nudge", lambda: None)
    now = timezone.now()
    initiatives = _evidence_on_many(now)
    services.initiatives_rescore_marked(now=now)
    settings.RESCORE_AGGREGATE_STREAMS = 2
    cache.delete(f"{streams.SPLIT_KEY}:2")  # split by the stored counts
    read, at_snapshot = [], streams.at_snapshot

    def spied(snapshot, name, work, tuning, items=None):
        read.append(name)
        return at_snapshot(snapshot, name, work, tuning, items)

    monkeypatch.setattr(streams, "at_snapshot", spied)
    policy = ScoringPolicy(**{**vars(policy_current()), **change})
    shown = {"now": now, "top": len(initiatives), "limit": len(initiatives)}
    in_ranges = ranking_preview(policy=policy, **shown)
    assert read == ["rescore-evidence-0", "rescore-evidence-1"]
    with transaction.atomic():  # a caller's transaction: aggregated in it
        on_one = ranking_preview(policy=policy, **shown)
    assert read == ["rescore-evidence-0", "rescore-evidence-1"]
    assert in_ranges.reaggregated
    assert on_one.reaggregated
    assert (in_ranges.up, in_ranges.down) == (on_one.up, on_one.down)
    assert [m.id for m in in_ranges.top] == [m.id for m in on_one.top]
    for mine, theirs in zip(in_ranges.top, on_one.top, strict=True):
        assert mine.score_after == pytest.approx(theirs.score_after, rel=1e-12)
    assert any(m.score_after != m.score_before for m in in_ranges.top)
