"""Reach kept up to date by folding new evidence in equals reach aggregated from all of it."""

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from roadmap import services
from roadmap.models import Evidence, Initiative, PendingEvidence
from roadmap.scoring import AnchoredReach, EvidenceSignal, evidence_reach, reach_at, reach_delta
from tests.factories import CustomerFactory, InitiativeFactory, SegmentFactory

pytestmark = pytest.mark.django_db


def _expected(initiative, now):
    """The reference: the pure function over every evidence item, read back from the table."""
    signals = [
        EvidenceSignal(
            e.received_at,
            customer_id=e.customer_id,
            segment_weight=(
                e.customer.segment.weight if e.customer and e.customer.segment else None
            ),
        )
        for e in Evidence.objects.filter(initiative=initiative).select_related("customer__segment")
    ]
    return evidence_reach(signals, now=now)


def test_ingest_deltas_keep_reach_equal_to_a_full_aggregate():
    rng = random.Random(5)
    heavy, light = SegmentFactory(weight=3.0), SegmentFactory(weight=0.5)
    customers = [CustomerFactory(segment=rng.choice([heavy, light, None])) for _ in range(12)]
    initiatives = [
        InitiativeFactory(reach_source="evidence", impact=1, confidence=100, effort=1)
        for _ in range(4)
    ]
    start = timezone.now()

    def batch(size, tag):
        items = []
        for n in range(size):
            customer = rng.choice([*customers, None, None])
            items.append(
                {
                    "source": "support",
                    "text": f"{tag}-{n}",
                    "initiative": rng.choice(initiatives),
                    "customer": customer,
                    # Older and newer than what is there: some swap a customer's
                    # newest item, some add nothing but a count.
                    "received_at": start - timedelta(days=rng.uniform(0, 400)),
                }
            )
        return items

    services.evidence_ingest(actor=None, items=batch(30, "first"))
    services.initiatives_rescore_marked(now=start)  # aggregates, anchors the sums
    anchors = dict(Initiative.objects.values_list("id", "reach_anchor"))
    assert all(anchor is not None for anchor in anchors.values())

    aggregated = []
    for round_ in range(5):
        services.evidence_ingest(actor=None, items=batch(rng.randint(1, 25), f"r{round_}"))
        now = start + timedelta(days=round_ * 7, hours=round_)
        aggregated.append(services.initiatives_rescore_marked(now=now).aggregated)
        for initiative in initiatives:
            initiative.refresh_from_db()
            expected = _expected(initiative, now)
            assert initiative.reach == pytest.approx(expected.value, rel=1e-9), round_
            assert initiative.breakdown["reach"]["customers"] == expected.customers
            assert initiative.breakdown["reach"]["anonymous_items"] == expected.anonymous_items
            assert initiative.evidence_count == initiative.evidence.count()
    # Every one of those runs folded the new items in: no evidence was re-read.
    assert aggregated == [0] * 5
    assert not PendingEvidence.objects.exists()
    assert dict(Initiative.objects.values_list("id", "reach_anchor")) == anchors


def test_changes_other_than_new_evidence_fall_back_to_the_aggregate():
    segment = SegmentFactory(weight=1.0)
    customer = CustomerFactory(segment=segment)
    a, b = (InitiativeFactory(reach_source="evidence") for _ in range(2))
    item = {
        "source": "nps",
        "text": "x",
        "initiative": a,
        "customer": customer,
        "external_id": "n1",
    }
    services.evidence_ingest(actor=None, items=[item])
    services.initiatives_rescore_marked()
    a.refresh_from_db()
    assert a.reach_anchor is not None
    # The same external id again, now for b: an update moves it; both lose their sums.
    services.evidence_ingest(actor=None, items=[{**item, "initiative": b}])
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.reach_anchor, b.reach_anchor) == (None, None)
    services.initiatives_rescore_marked()
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.evidence_count, b.evidence_count) == (0, 1)
    assert (a.reach, b.reach) == (0, pytest.approx(1.0, rel=1e-3))
    # A segment's weight changes: the sums of its customers' initiatives are stale.
    segment.weight = 4.0
    services.segment_save(actor=None, segment=segment)
    b.refresh_from_db()
    assert b.reach_anchor is None
    services.initiatives_rescore_marked()
    b.refresh_from_db()
    assert b.reach == pytest.approx(4.0, rel=1e-3)
    # Evidence dated in the future is aggregated (counted as today's until then).
    later = timezone.now() + timedelta(hours=20)
    services.evidence_ingest(
        actor=None,
        items=[{"source": "nps", "text": "y", "initiative": b, "received_at": later}],
    )
    b.refresh_from_db()
    assert b.reach_anchor is None


def test_reach_delta_is_the_difference_of_two_aggregates():
    """Pure: sums at an anchor plus the delta of new items equal the sums over all of them."""
    rng = random.Random(3)
    now = timezone.now()
    anchor = now - timedelta(days=30)

    weight = {1: 2.0, 2: None, 3: 0.5, 4: 2.0, None: None}  # per customer, as segments give

    def signals(n):
        out = []
        for _ in range(n):
            customer = rng.choice([1, 2, 3, 4, None])
            out.append(
                EvidenceSignal(
                    now - timedelta(days=rng.uniform(0, 300)),
                    customer_id=customer,
                    segment_weight=weight[customer],
                )
            )
        return out

    old, new = signals(20), signals(15)
    zero = AnchoredReach(anchor, 90.0, 0.0, 0.0, 0, 0, 0)
    newest: dict = {}
    first = reach_delta(zero, old, newest)
    second = reach_delta(first, new, newest)
    total = AnchoredReach(
        anchor,
        90.0,
        first.weighted + second.weighted,
        first.anonymous + second.anonymous,
        first.customers + second.customers,
        first.anonymous_items + second.anonymous_items,
        first.items + second.items,
    )
    weighted, customers, anonymous, anonymous_items, items = reach_at(total, now)
    expected = evidence_reach(old + new, now=now)
    assert weighted + anonymous == pytest.approx(expected.value, rel=1e-9)
    assert (customers, anonymous_items, items) == (
        expected.customers,
        expected.anonymous_items,
        35,
    )
