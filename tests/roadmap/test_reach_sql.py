"""The reach totals in SQL agree with the pure reference functions, on random evidence.

roadmap/scoring/reach_sql.py holds the SQL, roadmap/scoring/reach.py the
functions it mirrors. These run on whichever backend DATABASE_URL selects
(SQLite by default, PostgreSQL in CI), through the rescore's read seams
(`rescore.aggregate`) and the pure fold of pending items (`scoring.fold`). Each example's
rows are rolled back with a savepoint.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roadmap.models import Customer, Evidence, Initiative, PendingEvidence, Segment
from roadmap.scoring import (
    AnchoredReach,
    EvidenceSignal,
    ScoringPolicy,
    anchored_factor,
    evidence_reach,
    fold,
    importance_sums,
    reach_added,
    reach_at,
    weighted_by_importance,
)
from roadmap.services.rescore import aggregate
from tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
INITIATIVES = 3
examples = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def dates(latest: datetime):
    """Any moment up to `latest`: centuries ago, around 1970, recent, the edges."""
    return st.one_of(
        st.sampled_from(
            [
                datetime(1, 1, 1, tzinfo=UTC),
                datetime(1492, 10, 12, tzinfo=UTC),
                datetime(1970, 1, 1, tzinfo=UTC),
                datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC),
                latest,
            ]
        ),
        st.datetimes(
            min_value=datetime(1, 1, 1, tzinfo=UTC).replace(tzinfo=None),
            max_value=latest.replace(tzinfo=None),
            timezones=st.just(UTC),
        ),
        st.floats(min_value=0, max_value=3 * 365).map(lambda days: latest - timedelta(days=days)),
    )


IMPORTANCES = ["nice_to_have", "important", "critical"]
importances = st.sampled_from(IMPORTANCES)
weight_0_10 = st.one_of(st.just(1.0), st.just(0.0), st.floats(min_value=0, max_value=10))
# Half-lives from a day to ten years, the weight of customers with no segment,
# and the policy's evidence weights: by importance (often all 1: not weighed)
# and by customer revenue (often 0: off).
policies = st.builds(
    ScoringPolicy,
    half_life_days=st.floats(min_value=1, max_value=3650),
    default_segment_weight=st.floats(min_value=0, max_value=100),
    importance_weights=st.one_of(
        st.just(dict.fromkeys(IMPORTANCES, 1.0)),
        st.fixed_dictionaries(dict.fromkeys(IMPORTANCES, weight_0_10)),
    ),
    revenue_weight=st.one_of(st.just(0.0), st.floats(min_value=0, max_value=10)),
)
revenues = st.one_of(
    st.just(Decimal("0")),
    st.decimals(min_value=0, max_value=Decimal("999999999999.99"), places=2),
)


@st.composite
def evidence(draw, latest: datetime, most_customers: int = 6):
    """Segments (weights 0-100), customers with or without one, items with or without one."""
    segments = draw(st.lists(st.floats(min_value=0, max_value=100), max_size=4))
    customer_segment = st.none()
    if segments:
        customer_segment = st.one_of(st.none(), st.integers(0, len(segments) - 1))
    customers = draw(st.lists(st.tuples(customer_segment, revenues), max_size=most_customers))
    customer = st.none()
    if customers:
        customer = st.one_of(st.none(), st.integers(0, len(customers) - 1))
    items = draw(
        st.lists(
            st.tuples(st.integers(0, INITIATIVES - 1), customer, dates(latest), importances),
            max_size=30,
        )
    )
    return segments, customers, items


def _store(segments, customers, items, initiatives, customer_rows=None):
    """The rows, in the database; returns the customers (made here unless given)."""
    if customer_rows is None:
        segment_rows = [
            Segment.objects.create(name=f"segment {n}", weight=weight)
            for n, weight in enumerate(segments)
        ]
        customer_rows = [
            Customer.objects.create(
                name=f"customer {n}",
                segment=None if s is None else segment_rows[s],
                annual_revenue=revenue,
            )
            for n, (s, revenue) in enumerate(customers)
        ]
    return customer_rows, Evidence.objects.bulk_create(
        Evidence(
            source="interview",
            text="x",
            initiative=initiatives[i],
            customer=None if c is None else customer_rows[c],
            received_at=received_at,
            importance=importance,
        )
        for i, c, received_at, importance in items
    )


def _reference(initiative: Initiative, now: datetime, policy: ScoringPolicy):
    """The pure function over every item of `initiative`, read back from the table."""
    signals = _signals(initiative)
    return evidence_reach(signals, now=now, policy=policy), len(signals)


def _signals(initiative: Initiative) -> list[EvidenceSignal]:
    return [
        EvidenceSignal(
            e.received_at,
            customer_id=e.customer_id,
            segment_weight=e.customer.segment.weight if e.customer and e.customer.segment else None,
            importance=e.importance,
            revenue=float(e.customer.annual_revenue) if e.customer else 0.0,
        )
        for e in Evidence.objects.filter(initiative=initiative).select_related("customer__segment")
    ]


def _same_rows(rows, others) -> None:
    """The same initiatives and totals (sums of floats taken in another plan may differ in ulps)."""
    assert [row.initiative_id for row in rows] == [row.initiative_id for row in others]
    for row, other in zip(rows, others, strict=True):
        assert row[:-1] == pytest.approx(other[:-1], rel=1e-12, abs=1e-300)
        assert row.sets == pytest.approx(other.sets, rel=1e-12, abs=1e-300)


def _agree(totals, expected, items: int) -> None:
    assert totals.from_customers == pytest.approx(expected.from_customers, rel=1e-7, abs=1e-12)
    assert totals.anonymous == pytest.approx(expected.anonymous, rel=1e-7, abs=1e-12)
    assert totals.customers == expected.customers
    assert totals.anonymous_items == expected.anonymous_items
    assert totals.items == items


@given(
    data=evidence(NOW + timedelta(days=1)),
    policy=policies,
    cut=st.integers(0, INITIATIVES),
    other=st.fixed_dictionaries(dict.fromkeys(IMPORTANCES, weight_0_10)),
)
@examples
def test_the_reach_aggregate_is_the_pure_reach_of_each_initiative(data, policy, cut, other):
    """Every initiative, some by id, and ranges split anywhere: the pure function's totals.

    And its importance sums, under any other importance weights, give the
    pure totals under those weights (what an importance preview relies on).
    The totals-only query (a revenue or half-life preview's) gives them too.
    """
    with transaction.atomic():
        initiatives = InitiativeFactory.create_batch(INITIATIVES)
        _store(*data, initiatives)
        ids = [i.pk for i in initiatives]
        with connection.cursor() as cursor:
            everything = aggregate.reach_rows(cursor, None, NOW, policy)
            some = aggregate.reach_rows(cursor, ids[:cut], NOW, policy)
            split = ids[cut] if cut < INITIATIVES else ids[-1] + 1
            ranges = [
                *aggregate.reach_rows(cursor, None, NOW, policy, (None, split)),
                *aggregate.reach_rows(cursor, None, NOW, policy, (split, None)),
            ]
            # Each initiative's reach is manual, but named: read as if edited to evidence.
            everyone = aggregate.TotalsOnly(tuple(ids))
            totals = aggregate.reach_rows(cursor, None, NOW, policy, only=everyone)
            totals_ranges = [
                *aggregate.reach_rows(cursor, None, NOW, policy, (None, split), everyone),
                *aggregate.reach_rows(cursor, None, NOW, policy, (split, None), everyone),
            ]
        by_id = {row.initiative_id: row for row in everything}
        assert [row.initiative_id for row in totals] == sorted(by_id)
        _same_rows(totals_ranges, totals)
        assert [row.initiative_id for row in everything] == sorted(by_id)
        for initiative in initiatives:
            expected, items = _reference(initiative, NOW, policy)
            if not items:
                assert initiative.pk not in by_id
                continue
            _agree(by_id[initiative.pk], expected, items)
            (only,) = (row for row in totals if row.initiative_id == initiative.pk)
            _agree(only, expected, items)
            sets = by_id[initiative.pk].sets
            pure = importance_sums(_signals(initiative), now=NOW, policy=policy)
            assert sets == pytest.approx(pure, rel=1e-7, abs=1e-12)
            reweighed = ScoringPolicy(**{**vars(policy), "importance_weights": other})
            from_customers, anonymous = weighted_by_importance(sets, reweighed)
            again, _ = _reference(initiative, NOW, reweighed)
            assert from_customers == pytest.approx(again.from_customers, rel=1e-7, abs=1e-12)
            assert anonymous == pytest.approx(again.anonymous, rel=1e-7, abs=1e-12)
        _same_rows(some, [row for row in everything if row.initiative_id in ids[:cut]])
        _same_rows(sorted(ranges), everything)
        transaction.set_rollback(True)


@given(
    # Few customers: new items often meet a customer's items on this and other initiatives.
    before=evidence(NOW, most_customers=3),
    after=st.lists(
        st.tuples(
            st.integers(0, INITIATIVES - 1),
            st.one_of(st.none(), st.integers(0, 2)),
            dates(NOW + timedelta(days=401)),
            importances,
        ),
        max_size=20,
    ),
    later=st.floats(min_value=0, max_value=400).map(lambda days: NOW + timedelta(days=days)),
    policy=policies,
)
@examples
def test_pending_items_folded_into_kept_sums_give_the_pure_reach(before, after, later, policy):
    """Sums aggregated at one moment, new items folded in at a later one: the pure totals then.

    The kept sums hold evidence dated up to their anchor (later items go to
    the aggregate); a new item dated after the run counts as of the run.
    """
    with transaction.atomic():
        initiatives = InitiativeFactory.create_batch(INITIATIVES)
        customers, _ = _store(*before, initiatives)
        with connection.cursor() as cursor:
            kept = {
                row.initiative_id: AnchoredReach(
                    NOW,
                    policy.half_life_days,
                    row.from_customers,
                    row.anonymous,
                    row.customers,
                    row.anonymous_items,
                    row.items,
                    row.sets,
                )
                for row in aggregate.reach_rows(cursor, None, NOW, policy)
            }
            new = [
                (i, c if c is None or c < len(customers) else None, t, m) for i, c, t, m in after
            ]
            _, created = _store(None, None, new, initiatives, customers)
            PendingEvidence.objects.bulk_create(PendingEvidence(evidence_id=e.pk) for e in created)
            pending = aggregate.pending_items(cursor, None, policy.weighs_evidence)
        assert sorted(item.evidence_id for item in pending) == sorted(e.pk for e in created)
        for initiative in initiatives:
            sums = kept.get(initiative.pk, AnchoredReach(NOW, policy.half_life_days, 0, 0, 0, 0, 0))
            items = [item for item in pending if item.initiative_id == initiative.pk]
            delta = fold(sums, items, later, policy)
            expected, count = _reference(initiative, later, policy)
            _agree(reach_at(reach_added(sums, delta), later), expected, count)
            # The importance sums follow the folds too.
            factor = anchored_factor((later - NOW).total_seconds(), policy.half_life_days)
            folded = [value * factor for value in reach_added(sums, delta).sets]
            pure = importance_sums(_signals(initiative), now=later, policy=policy)
            # A term moved out of a set leaves float rounding behind, of the
            # order of the sums themselves, not of that set's (maybe 0).
            scale = 1e-7 * sum(map(abs, pure)) + 1e-12
            assert folded == pytest.approx(pure, rel=1e-7, abs=scale)
        transaction.set_rollback(True)


def test_a_tiny_segment_weight_on_evidence_centuries_old_scores_on_every_backend():
    """Weight x the decay's floor is below the smallest float: PostgreSQL raises on that."""
    from roadmap import services
    from tests.factories import CustomerFactory, EvidenceFactory, SegmentFactory

    initiative = InitiativeFactory(reach_source="evidence", impact=1, confidence=100, effort=1)
    for weight in (5e-324, 1e-30, 1e-20):
        customer = CustomerFactory(segment=SegmentFactory(weight=weight))
        EvidenceFactory(
            initiative=initiative, customer=customer, received_at=datetime(1700, 1, 1, tzinfo=UTC)
        )
    assert services.initiatives_rescore_marked().claimed == 1
    initiative.refresh_from_db()
    assert initiative.reach == pytest.approx(0.0, abs=1e-12)
    assert initiative.evidence_count == 3


def test_a_subnormal_revenue_weight_scores_on_every_backend():
    """w x log10(1 + revenue / unit) underflows to 0 for w = 5e-324: PostgreSQL raises on it.

    Such a weight changes no factor (1 + it is 1.0), so the totals are those of no revenue weight.
    """
    with transaction.atomic():
        initiatives = InitiativeFactory.create_batch(INITIATIVES)
        customers = [(None, Decimal("1.00")), (None, Decimal("250000.00"))]
        items = [(0, 0, NOW, "important"), (0, 1, NOW - timedelta(days=30), "critical")]
        _store([], customers, items, initiatives)
        tiny = ScoringPolicy(half_life_days=90, revenue_weight=5e-324)
        with connection.cursor() as cursor:
            (row,) = aggregate.reach_rows(cursor, None, NOW, tiny)
            (off,) = aggregate.reach_rows(cursor, None, NOW, ScoringPolicy(half_life_days=90))
        expected, _ = _reference(initiatives[0], NOW, tiny)
        assert row.from_customers == pytest.approx(expected.from_customers, rel=1e-12)
        assert row == off
        transaction.set_rollback(True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL plan")
def test_the_pending_items_query_reads_the_pending_table_once_not_once_per_item():
    """With a correlated NOT EXISTS PostgreSQL scanned the pending table per probed item
    (its statistics are always stale): quadratic in a run's pending items."""
    from roadmap.scoring.reach_sql import pending_items_sql

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + pending_items_sql("postgresql", weighs=True))
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert plan.count("(hashed SubPlan") == 2, plan
    assert "Anti Join" not in plan, plan


def test_tiny_weights_on_evidence_centuries_old_give_totals_on_every_backend():
    """The totals-only query multiplies three floored factors (segment, importance, decay):
    PostgreSQL raises on an underflow, so the decay's floor there is higher."""
    with transaction.atomic():
        initiatives = InitiativeFactory.create_batch(INITIATIVES)
        old = datetime(1, 1, 1, tzinfo=UTC)
        items = [(0, 0, old, "critical"), (0, None, old, "nice_to_have"), (0, 1, NOW, "critical")]
        _store([1e-20, 2.0], [(0, Decimal("0")), (1, Decimal("1000000"))], items, initiatives)
        tiny = {"nice_to_have": 5e-324, "important": 1.0, "critical": 1e-20}
        policy = ScoringPolicy(half_life_days=1, importance_weights=tiny, revenue_weight=1e-20)
        everyone = aggregate.TotalsOnly(tuple(i.pk for i in initiatives))
        with connection.cursor() as cursor:
            (row,) = aggregate.reach_rows(cursor, None, NOW, policy, only=everyone)
        expected, _ = _reference(initiatives[0], NOW, policy)
        _agree(row, expected, 3)
        assert row.from_customers == pytest.approx(2e-20, rel=1e-12)
        transaction.set_rollback(True)


def test_a_what_ifs_totals_are_those_of_the_initiatives_whose_reach_is_from_evidence():
    """And of those named (an edit that makes them so); not of the others."""
    with transaction.atomic():
        evidence, manual, named = (
            InitiativeFactory(reach_source=source) for source in ("evidence", "manual", "manual")
        )
        items = [(n, None, NOW - timedelta(days=n), "important") for n in range(3)]
        _store([], [], items, [evidence, manual, named])
        only = aggregate.TotalsOnly((named.pk,))
        with connection.cursor() as cursor:
            rows = aggregate.reach_rows(cursor, None, NOW, ScoringPolicy(), only=only)
        assert [row.initiative_id for row in rows] == [evidence.pk, named.pk]
        assert rows[0].anonymous == pytest.approx(1.0)
        transaction.set_rollback(True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL plan")
def test_the_aggregate_reads_only_its_two_covering_indexes_and_sorts_nothing():
    """The customers' items from evidence_reach_cover, those without a customer from
    evidence_anonymous_reach, in the order both levels group them: no heap, no sort."""
    from roadmap.services.rescore.tuning import Tuning, tune

    with transaction.atomic(), connection.cursor() as cursor:
        tune(cursor, Tuning())
        # A few rows, and statistics left by other tests: without these the
        # planner would rather scan and sort them, or walk another index of the
        # initiative and sort each one's items, than read the covering index;
        # with them it still sorts if no index gives the order.
        for path in ("seqscan", "bitmapscan", "sort", "incremental_sort"):
            cursor.execute(f"SET LOCAL enable_{path} = off")
        queries, params = aggregate.reach_totals_query(None, NOW, ScoringPolicy())
        for sql, index in (
            (queries.customers, "evidence_reach_cover"),
            (queries.anonymous, "evidence_anonymous_reach"),
        ):
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert f"Index Only Scan using {index} on roadmap_evidence" in plan, plan
            assert "Sort" not in plan, plan
        transaction.set_rollback(True)


def test_the_database_keeps_each_items_importance_bit():
    """evidence.importance_bit, which the aggregate reads, is `reach.IMPORTANCE_BITS`
    of the importance, on insert and on every change."""
    from roadmap.scoring.reach import IMPORTANCE_BITS

    item = Evidence.objects.create(source="support", text="x", received_at=NOW)
    for importance, bit in [*IMPORTANCE_BITS.items(), ("important", 2)]:
        Evidence.objects.filter(pk=item.pk).update(importance=importance)
        assert Evidence.objects.values_list("importance_bit", flat=True).get(pk=item.pk) == bit
    created = Evidence.objects.create(
        source="support", text="y", received_at=NOW, importance="nice_to_have"
    )
    assert Evidence.objects.values_list("importance_bit", flat=True).get(pk=created.pk) == 1
