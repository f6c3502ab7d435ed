"""Rescore and ingest at the same time on PostgreSQL: real transactions from two threads.

Outside tests/integration (no worker there, Celery eager), so nothing but
these threads touches the rows.
"""

import threading

import pytest
from django.db import connection, connections

from roadmap import services
from roadmap.models import PendingEvidence
from roadmap.services import marks
from roadmap.services.rescore import evidence, rescore_tuning, streams
from tests.factories import InitiativeFactory

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks: PostgreSQL only (set DATABASE_URL)"
)


def _thread(errors: list, target, *args) -> threading.Thread:
    """A thread running target(*args) on its own connections; an exception lands in errors."""

    def run():
        try:
            target(*args)
        except Exception as exc:  # reported to the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    return threading.Thread(target=run)


def test_ingest_does_not_wait_for_a_running_rescore(transactional_db, monkeypatch):
    """A rescore holds no initiative lock while it aggregates: ingest commits meanwhile."""
    # No eager rescore on commit: this test runs the rescores itself.
    monkeypatch.setattr(marks, "_send_nudge", lambda: None)
    initiative = InitiativeFactory(reach_source="evidence")
    services.evidence_ingest(
        actor=None, items=[{"source": "nps", "text": "first", "initiative": initiative}]
    )
    aggregated, release = threading.Event(), threading.Event()
    reads = evidence.evidence_reads
    errors = []

    def held_reads(*args, **kwargs):
        read = reads(*args, **kwargs)
        read = read._replace(rows=iter(list(read.rows)))
        aggregated.set()
        release.wait(timeout=30)
        return read

    monkeypatch.setattr(evidence, "evidence_reads", held_reads)
    running = _thread(errors, services.initiatives_rescore_marked)
    running.start()
    try:
        assert aggregated.wait(timeout=30)
        # The rescore is mid-run in an open transaction; this ingest (its own
        # transaction) adds to the same initiative and must commit right away,
        # and so must an edit marking it.
        done = threading.Event()

        def ingest():
            services.evidence_ingest(
                actor=None, items=[{"source": "nps", "text": "late", "initiative": initiative}]
            )
            services.initiatives_mark(ids=[initiative.pk], trigger="edit")
            done.set()

        late = _thread(errors, ingest)
        late.start()
        assert done.wait(timeout=10), "the ingest waited for the rescore"
        late.join(timeout=10)
    finally:
        release.set()
        running.join(timeout=30)
    monkeypatch.setattr(evidence, "evidence_reads", reads)
    assert errors == []
    initiative.refresh_from_db()
    assert initiative.evidence_count == 1  # what the held run saw ...
    assert initiative.needs_rescore  # ... the edit's mark survived it ...
    assert PendingEvidence.objects.count() == 1  # ... and the late item waits
    services.initiatives_rescore_marked()
    initiative.refresh_from_db()
    assert (initiative.evidence_count, initiative.needs_rescore) == (2, False)
    assert not PendingEvidence.objects.exists()


def test_a_big_claim_streams_the_aggregate_and_scores_as_the_in_transaction_one(
    transactional_db, monkeypatch
):
    """The worker's path (aggregate on a second connection) gives the same scores."""
    from dataclasses import replace

    from django.db import transaction
    from django.utils import timezone

    from roadmap.models import Initiative
    from tests.factories import CustomerFactory, EvidenceFactory, SegmentFactory

    monkeypatch.setattr(marks, "_send_nudge", lambda: None)
    big = replace(rescore_tuning(), aggregate_all_above=0)  # every claim is "big"
    heavy = SegmentFactory(weight=3)
    initiatives = [InitiativeFactory(reach_source="evidence") for _ in range(6)]
    for n, initiative in enumerate(initiatives[:-1]):  # the last has no evidence
        for k in range(n + 1):
            EvidenceFactory(
                initiative=initiative,
                customer=CustomerFactory(segment=heavy if k % 2 else None),
            )
        EvidenceFactory(initiative=initiative, customer=None)
    now = timezone.now()
    first = services.initiatives_rescore_marked(now=now, tuning=big)
    assert (first.evidence_read, first.aggregated) == ("streamed", len(initiatives))
    scored = dict(Initiative.objects.values_list("id", "priority_score"))
    counts = dict(Initiative.objects.values_list("id", "evidence_count"))
    assert counts[initiatives[2].pk] == 4
    assert counts[initiatives[-1].pk] == 0

    services.initiatives_mark(ids=None, trigger="schedule")
    with transaction.atomic():  # a caller's transaction: aggregated in it, not streamed
        again = services.initiatives_rescore_marked(now=now, tuning=big)
    assert again.evidence_read == "here"
    assert again.changed_ids == []  # same sums, same scores
    assert dict(Initiative.objects.values_list("id", "priority_score")) == scored

    # A claim of some: the stream covers every initiative, the others are skipped.
    services.evidence_ingest(
        actor=None, items=[{"source": "nps", "text": "one more", "initiative": initiatives[3]}]
    )
    # (New evidence alone is folded into the sums; a plain mark forgets them.)
    services.initiatives_mark(ids=[initiatives[3].pk], trigger="evidence")
    result = services.initiatives_rescore_marked(now=now, tuning=big)
    assert (result.evidence_read, result.aggregated) == ("streamed", 1)
    assert result.claimed == 1
    counts_after = dict(Initiative.objects.values_list("id", "evidence_count"))
    assert counts_after == {**counts, initiatives[3].pk: counts[initiatives[3].pk] + 1}


def test_concurrent_batches_for_the_same_customers_keep_reach_exact(transactional_db, monkeypatch):
    """Batches naming the same initiative and customers at once: no customer counted twice."""
    from datetime import timedelta

    from django.utils import timezone

    from roadmap.models import Initiative
    from tests.factories import CustomerFactory
    from tests.roadmap.test_reach_deltas import _expected

    monkeypatch.setattr(marks, "_send_nudge", lambda: None)
    initiative = InitiativeFactory(reach_source="evidence", impact=1, confidence=100, effort=1)
    customers = CustomerFactory.create_batch(6)
    start = timezone.now()
    services.evidence_ingest(
        actor=None,
        items=[{"source": "nps", "text": "seed", "initiative": initiative, "customer": None}],
    )
    services.initiatives_rescore_marked(now=start)
    assert Initiative.objects.get(pk=initiative.pk).reach_anchor is not None
    go, errors = threading.Event(), []

    def ingest(worker):
        go.wait(timeout=30)
        for round_ in range(4):
            services.evidence_ingest(
                actor=None,
                items=[
                    {
                        "source": "nps",
                        "text": f"w{worker}r{round_}c{n}",
                        "initiative": initiative,
                        "customer": customer,
                        "received_at": start - timedelta(days=worker + round_ + n),
                    }
                    for n, customer in enumerate(customers)
                ],
            )

    threads = [_thread(errors, ingest, w) for w in range(3)]
    for t in threads:
        t.start()
    go.set()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    initiative.refresh_from_db()
    assert initiative.reach_anchor is not None  # nothing was forgotten: all of it waits
    assert PendingEvidence.objects.count() == 3 * 4 * 6
    services.initiatives_rescore_marked(now=start)
    initiative.refresh_from_db()
    expected = _expected(initiative, start)
    assert initiative.breakdown["reach"]["customers"] == 6
    assert initiative.reach == pytest.approx(expected.value, rel=1e-9)
    assert initiative.evidence_count == 1 + 3 * 4 * 6


@pytest.mark.parametrize(
    ("aggregate_all_above", "full"), [(0, False), (2_000, False), (2_000, True)]
)
def test_rescores_running_while_batches_commit_count_every_item_once(
    transactional_db, monkeypatch, aggregate_all_above, full
):
    """Ingest, marks and rescores at once: the sums end equal to a full aggregate.

    An item must land in an initiative's sums exactly once: by the aggregate
    or by a fold, never both, whatever commits between a run's claim, its
    reads and its write. Both aggregate paths: all evidence (0) and by id;
    and full re-aggregations asked for meanwhile, whose claim is read on its
    own connection while the aggregate runs (read ahead).
    """
    import random
    from dataclasses import replace
    from datetime import timedelta

    from django.utils import timezone

    from roadmap.models import Evidence, Initiative
    from tests.factories import CustomerFactory, SegmentFactory
    from tests.roadmap.test_reach_deltas import _expected

    monkeypatch.setattr(marks, "_send_nudge", lambda: None)
    tuning = replace(rescore_tuning(), aggregate_all_above=aggregate_all_above)
    ahead = []
    segment = SegmentFactory(weight=2.5)
    customers = [CustomerFactory(segment=segment if n % 2 else None) for n in range(8)]
    initiatives = [
        InitiativeFactory(reach_source="evidence", impact=1, confidence=100, effort=1)
        for _ in range(3)
    ]
    start = timezone.now()
    writing, errors, runs = threading.Event(), [], []

    def ingest(worker):
        rng = random.Random(worker)
        for round_ in range(6):
            services.evidence_ingest(
                actor=None,
                items=[
                    {
                        "source": "nps",
                        "text": f"w{worker}r{round_}n{n}",
                        "initiative": rng.choice(initiatives),
                        "customer": rng.choice([*customers, None]),
                        "received_at": start - timedelta(days=rng.uniform(0, 200)),
                    }
                    for n in range(5)
                ],
            )
            if round_ % 3 == worker % 3:  # an edit now and then: sums forgotten
                services.initiatives_mark(ids=[rng.choice(initiatives).pk], trigger="edit")
            if full and round_ % 2 == worker % 2:
                services.initiatives_mark(ids=None, trigger="schedule")
            if round_ % 2:  # an item moves: both initiatives' sums forgotten with it
                moved = Evidence.objects.filter(text__startswith=f"w{worker}r").order_by("?")[0]
                services.evidence_link(
                    actor=None, evidence_ids=[moved.pk], initiative=rng.choice(initiatives)
                )

    def rescore():
        while writing.is_set():
            result = services.initiatives_rescore_marked(now=start, tuning=tuning)
            runs.append(result.claimed)
            ahead.extend([result] if result.evidence_read == "read-ahead" else [])

    writing.set()
    rescorer = _thread(errors, rescore)
    rescorer.start()
    writers = [_thread(errors, ingest, w) for w in range(3)]
    for t in writers:
        t.start()
    for t in writers:
        t.join(timeout=120)
    writing.clear()
    rescorer.join(timeout=120)
    assert errors == []
    assert sum(runs) > 0  # the runs overlapped the writes
    while services.initiatives_rescore_marked(now=start, tuning=tuning).claimed:
        pass
    assert bool(ahead) == full
    assert not PendingEvidence.objects.exists()
    for initiative in Initiative.objects.all():
        expected = _expected(initiative, start)
        assert initiative.evidence_count == initiative.evidence.count() > 0
        assert initiative.breakdown["reach"]["customers"] == expected.customers
        assert initiative.reach == pytest.approx(expected.value, rel=1e-9)


def test_a_full_reaggregation_claims_at_the_snapshot_its_aggregate_reads(
    transactional_db, monkeypatch
):
    """Evidence moved after the run's snapshot: the run claims and aggregates without it.

    The run reads its claim on a connection of its own while the aggregate
    starts (read ahead). A claim read later than the aggregate's snapshot
    would see the move's marks, clear them, and anchor sums that miss it.
    """
    from roadmap.models import Evidence, Initiative
    from tests.factories import CustomerFactory, EvidenceFactory

    monkeypatch.setattr(marks, "_send_nudge", lambda: None)
    source, target = (
        InitiativeFactory(reach_source="evidence", impact=1, confidence=100, effort=1)
        for _ in range(2)
    )
    item = EvidenceFactory(initiative=source, customer=CustomerFactory())
    EvidenceFactory(initiative=target, customer=CustomerFactory())
    services.initiatives_rescore_marked()
    services.initiatives_mark(ids=None, trigger="schedule")  # weekly: re-aggregate all
    export, errors = streams.export_snapshot, []

    def move_after_the_snapshot(cursor):
        snapshot = export(cursor)
        mover = _thread(
            errors,
            lambda: services.evidence_link(actor=None, evidence_ids=[item.pk], initiative=target),
        )
        mover.start()
        mover.join(timeout=30)
        return snapshot

    monkeypatch.setattr(streams, "export_snapshot", move_after_the_snapshot)
    first = services.initiatives_rescore_marked()
    assert errors == []
    assert (first.claimed, first.evidence_read) == (2, "read-ahead")
    rows = dict(Initiative.objects.values_list("id", "needs_rescore"))
    assert rows == {source.pk: True, target.pk: True}  # the move's marks stand
    monkeypatch.setattr(streams, "export_snapshot", export)
    services.initiatives_rescore_marked()
    counts = dict(Initiative.objects.values_list("id", "evidence_count"))
    sums = dict(Initiative.objects.values_list("id", "reach_customers"))
    assert counts == sums == {source.pk: 0, target.pk: 2}
    assert Evidence.objects.get(pk=item.pk).initiative_id == target.pk
