"""The recompute pipeline: marks, the set-based rescore, ranks, snapshots, coalescing."""

import gc
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from okrs import services as okr_services
from roadmap import scoring, services
from roadmap.models import Evidence, Initiative, PendingEvidence, RecomputeRun, ScoreSnapshot
from roadmap.scoring import EvidenceSignal, evidence_reach
from roadmap.services import quarantine
from roadmap.services.marks import _send_nudge
from roadmap.services.rescore import evidence, write
from roadmap.tasks import recompute_priorities, rescore_all_initiatives, sweep_marked_initiatives
from tests.factories import (
    AlignmentFactory,
    CustomerFactory,
    EvidenceFactory,
    InitiativeFactory,
    KeyResultFactory,
    MetricFactory,
    ObjectiveFactory,
    SegmentFactory,
)

pytestmark = pytest.mark.django_db


def _rescore():
    return services.initiatives_rescore_marked()


def test_rescore_scores_ranks_and_clears_the_mark():
    low = InitiativeFactory(reach=10, impact=1, confidence=100, effort=1)
    high = InitiativeFactory(reach=100, impact=2, confidence=80, effort=2)
    result = _rescore()
    low.refresh_from_db()
    high.refresh_from_db()
    assert result.claimed == 2
    assert (high.rice_score, high.priority_score, high.rank) == (80.0, 80.0, 1)
    assert (low.priority_score, low.rank) == (10.0, 2)
    assert not high.needs_rescore
    assert high.scored_at is not None
    assert high.breakdown["rice"] == 80.0


def test_rescoring_twice_changes_nothing_the_second_time():
    InitiativeFactory.create_batch(3)
    _rescore()
    snapshots = ScoreSnapshot.objects.count()
    services.initiatives_mark(ids=None, trigger="schedule")
    second = _rescore()
    assert second.claimed == 3
    assert second.changed_ids == []
    assert ScoreSnapshot.objects.count() == snapshots


def test_shipped_and_archived_work_is_not_ranked():
    shipped = InitiativeFactory(status="shipped", reach=1000)
    live = InitiativeFactory(reach=1)
    _rescore()
    shipped.refresh_from_db()
    live.refresh_from_db()
    assert shipped.rank is None
    assert live.rank == 1


def test_alignment_weights_priority_by_objective_and_gap():
    objective = ObjectiveFactory(weight=2.0)
    kr = KeyResultFactory(objective=objective, start=0, target=100, current=25)
    okr_services.key_result_update(actor=None, key_result=kr, data={"current": 25})
    initiative = InitiativeFactory(reach=100, impact=1, confidence=100, effort=1)
    AlignmentFactory(initiative=initiative, key_result=kr, contribution="medium")
    _rescore()
    initiative.refresh_from_db()
    # 0.5 (medium) x 2.0 (objective weight) x (0.2 floor + 0.75 gap)
    assert initiative.alignment_score == pytest.approx(0.95)
    assert initiative.priority_score == pytest.approx(100 * 1.95)
    term = initiative.breakdown["alignment"]["terms"][0]
    assert term["key_result_id"] == kr.pk
    assert term["gap"] == 0.75


def test_cancelled_objectives_do_not_weight_priorities():
    kr = KeyResultFactory(objective=ObjectiveFactory(status="cancelled", weight=5))
    initiative = InitiativeFactory(reach=10, impact=1, confidence=100, effort=1)
    AlignmentFactory(initiative=initiative, key_result=kr)
    _rescore()
    initiative.refresh_from_db()
    assert initiative.priority_score == 10.0


def test_evidence_reach_in_sql_matches_the_pure_function():
    now = timezone.now()
    enterprise = SegmentFactory(name="Enterprise", weight=2.0)
    ignored = SegmentFactory(name="Ignored", weight=0.0)
    a = CustomerFactory(segment=enterprise)
    b = CustomerFactory(segment=None)
    c = CustomerFactory(segment=ignored)
    initiative = InitiativeFactory(reach_source="evidence", reach=0, impact=1, confidence=100)
    rows = [
        (a, 200),
        (a, 10),  # a's newest evidence is 10 days old
        (b, 45),
        (c, 1),
        (None, 0),
        (None, 90),
    ]
    for customer, days in rows:
        EvidenceFactory(
            initiative=initiative, customer=customer, received_at=now - timedelta(days=days)
        )
    services.initiatives_rescore_marked(now=now)
    initiative.refresh_from_db()
    expected = evidence_reach(
        [
            EvidenceSignal(
                now - timedelta(days=days),
                customer_id=customer.pk if customer else None,
                segment_weight=customer.segment.weight if customer and customer.segment else None,
            )
            for customer, days in rows
        ],
        now=now,
    )
    assert initiative.reach == pytest.approx(expected.value, rel=1e-6)
    assert initiative.rice_score == pytest.approx(expected.value, rel=1e-6)
    assert initiative.breakdown["reach"]["customers"] == 3
    assert initiative.breakdown["reach"]["anonymous_items"] == 2
    assert initiative.evidence_count == 6


def test_evidence_reach_with_no_evidence_is_zero():
    initiative = InitiativeFactory(reach_source="evidence", reach=50)
    _rescore()
    initiative.refresh_from_db()
    assert initiative.reach == 0
    assert initiative.priority_score == 0


def test_snapshots_record_priority_changes_with_previous_rank_and_trigger(
    django_capture_on_commit_callbacks,
):
    a = InitiativeFactory(reach=10)
    b = InitiativeFactory(reach=20)
    _rescore()
    with django_capture_on_commit_callbacks(execute=True):
        services.initiative_update(actor=None, initiative=a, data={"reach": 30})
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.rank, b.rank) == (1, 2)
    latest_a = a.snapshots.first()
    assert (latest_a.previous_rank, latest_a.rank, latest_a.rank_change) == (2, 1, 1)
    assert latest_a.previous_priority_score == 8.0
    assert latest_a.trigger == "edit"
    # b only moved down a rank because a passed it: its priority did not
    # change, so no snapshot (at scale one change shifts thousands of ranks) ...
    assert b.snapshots.count() == 1
    assert b.snapshots.first().rank == 1
    # ... but its row shows the slip in the ranked list, as a's shows its rise.
    assert (a.previous_rank, a.previous_priority_score) == (2, 8.0)
    assert (b.previous_rank, b.previous_priority_score) == (1, 16.0)


def test_a_write_marks_in_its_transaction_and_nudges_once_after_commit(
    django_capture_on_commit_callbacks,
):
    initiative = InitiativeFactory()
    _rescore()
    with django_capture_on_commit_callbacks() as callbacks:
        services.initiative_update(actor=None, initiative=initiative, data={"effort": 4})
        services.alignment_set(
            actor=None, initiative=initiative, key_result=KeyResultFactory(), contribution="weak"
        )
        initiative.refresh_from_db()
        assert initiative.needs_rescore  # the mark is in the same transaction
    assert [c for c in callbacks if c is _send_nudge] == [_send_nudge]  # two writes, one nudge


def test_a_rolled_back_write_leaves_no_mark_and_no_nudge(django_capture_on_commit_callbacks):
    initiative = InitiativeFactory()
    _rescore()
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ValidationError):
        services.initiative_update(actor=None, initiative=initiative, data={"effort": 0})
    initiative.refresh_from_db()
    assert not initiative.needs_rescore
    assert initiative.effort == 1
    assert callbacks == []


def test_unchanged_edit_does_not_rescore(django_capture_on_commit_callbacks):
    initiative = InitiativeFactory(reach=5)
    _rescore()
    with django_capture_on_commit_callbacks() as callbacks:
        services.initiative_update(actor=None, initiative=initiative, data={"reach": 5})
    assert callbacks == []


def test_a_lane_move_does_not_need_a_rescore(django_capture_on_commit_callbacks):
    initiative = InitiativeFactory(lane="later")
    _rescore()
    with django_capture_on_commit_callbacks() as callbacks:
        moved = services.initiative_move(actor=None, initiative=initiative, lane="now")
    assert moved.lane == "now"
    assert moved.version == 2
    assert _send_nudge not in callbacks


def test_a_burst_of_1000_evidence_items_costs_one_recompute(django_capture_on_commit_callbacks):
    initiatives = InitiativeFactory.create_batch(5, reach_source="evidence")
    _rescore()
    runs_before = RecomputeRun.objects.count()
    items = [
        {
            "source": "support",
            "text": f"ticket {n}",
            "initiative": initiatives[n % 5],
            "customer_external_id": f"acct-{n % 40}",
            "external_id": f"zd-{n}",
        }
        for n in range(1000)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        services.evidence_ingest(actor=None, items=items)
    assert RecomputeRun.objects.count() - runs_before == 1
    assert Evidence.objects.count() == 1000
    for initiative in initiatives:
        initiative.refresh_from_db()
        assert initiative.breakdown["reach"]["customers"] == 8


@pytest.mark.django_db(transaction=True)
def test_1000_separate_evidence_events_send_one_nudge_while_it_is_pending(monkeypatch):
    """Events committed before a worker picks up the pending nudge coalesce into one run.

    Each ingest here is its own committed transaction, as 1,000 API calls would be.
    """
    sent = []
    monkeypatch.setattr(recompute_priorities, "apply_async", lambda **kw: sent.append(kw))
    initiative = InitiativeFactory(reach_source="evidence")
    for n in range(1000):
        services.evidence_ingest(
            actor=None,
            items=[{"source": "nps", "text": f"comment {n}", "initiative": initiative}],
        )
    assert sent == [{"countdown": 0.25}]
    # The worker's single run scores everything that was marked meanwhile.
    runs_before = RecomputeRun.objects.count()
    assert recompute_priorities() == 1
    assert RecomputeRun.objects.count() == runs_before + 1
    initiative.refresh_from_db()
    assert initiative.evidence_count == 1000
    # The run cleared the pending nudge, so the next event nudges again.
    services.evidence_ingest(
        actor=None, items=[{"source": "nps", "text": "one more", "initiative": initiative}]
    )
    assert len(sent) == 2


def test_sweep_finishes_marks_whose_nudge_was_lost():
    initiative = InitiativeFactory(reach=7)
    # Marked in the database, but no message ever reached a worker.
    assert Initiative.objects.filter(pk=initiative.pk, needs_rescore=True).exists()
    assert sweep_marked_initiatives() == 1
    initiative.refresh_from_db()
    assert initiative.priority_score == pytest.approx(7 * 0.8)
    assert sweep_marked_initiatives() == 0


def test_nightly_rescore_applies_evidence_decay():
    initiative = InitiativeFactory(reach_source="evidence", impact=1, confidence=100, effort=1)
    EvidenceFactory(initiative=initiative, customer=CustomerFactory())
    services.initiatives_rescore_marked(now=timezone.now())
    initiative.refresh_from_db()
    assert initiative.reach == pytest.approx(1.0, abs=1e-3)
    services.initiatives_mark(ids=None, trigger="schedule")
    services.initiatives_rescore_marked(now=timezone.now() + timedelta(days=90))
    initiative.refresh_from_db()
    assert initiative.reach == pytest.approx(0.5, abs=1e-3)
    assert initiative.snapshots.first().trigger == "schedule"
    assert rescore_all_initiatives() == 1


def test_the_full_rescore_task_scores_everything_itself_without_a_nudge(
    django_capture_on_commit_callbacks,
):
    InitiativeFactory.create_batch(3)
    _rescore()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        claimed = rescore_all_initiatives()
    assert claimed == 3
    assert _send_nudge not in callbacks
    assert not Initiative.objects.filter(needs_rescore=True).exists()


def test_metric_reading_moves_every_key_result_and_aligned_priority(
    django_capture_on_commit_callbacks,
):
    metric = MetricFactory(key="nps")
    objective = ObjectiveFactory(weight=1.0)
    kr_a = KeyResultFactory(objective=objective, metric=metric, start=30, target=50, current=30)
    kr_b = KeyResultFactory(objective=objective, metric=metric, start=30, target=40, current=30)
    first = InitiativeFactory(reach=100, impact=1, confidence=100, effort=1)
    second = InitiativeFactory(reach=100, impact=1, confidence=100, effort=1)
    AlignmentFactory(initiative=first, key_result=kr_a, contribution="strong")
    AlignmentFactory(initiative=second, key_result=kr_b, contribution="strong")
    _rescore()
    first.refresh_from_db()
    assert first.priority_score == pytest.approx(100 * (1 + 1.2))
    with django_capture_on_commit_callbacks(execute=True):
        okr_services.metric_readings_ingest(
            actor=None, metric=metric, items=[{"value": 40, "external_id": "wk-47"}]
        )
    kr_a.refresh_from_db()
    kr_b.refresh_from_db()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (kr_a.current, kr_a.progress) == (40, 0.5)
    assert (kr_b.current, kr_b.progress) == (40, 1.0)
    assert first.priority_score == pytest.approx(100 * (1 + 0.7))
    assert second.priority_score == pytest.approx(100 * (1 + 0.2))
    assert first.snapshots.first().trigger == "metric"
    objective.refresh_from_db()
    assert objective.progress == pytest.approx(0.75)


def test_check_in_updates_key_result_and_aligned_priority(django_capture_on_commit_callbacks):
    kr = KeyResultFactory(start=0, target=10, current=0)
    initiative = InitiativeFactory(reach=10, impact=1, confidence=100, effort=1)
    AlignmentFactory(initiative=initiative, key_result=kr, contribution="strong")
    _rescore()
    with django_capture_on_commit_callbacks(execute=True):
        okr_services.check_in_create(
            actor=None, key_result=kr, value=5, confidence="at_risk", note="halfway"
        )
    kr.refresh_from_db()
    initiative.refresh_from_db()
    assert (kr.current, kr.progress, kr.confidence) == (5, 0.5, "at_risk")
    assert initiative.alignment_score == pytest.approx(0.7)
    assert kr.check_ins.count() == 1


def test_segment_weight_change_rescores_initiatives_its_customers_asked_for(
    django_capture_on_commit_callbacks,
):
    segment = SegmentFactory(weight=1.0)
    initiative = InitiativeFactory(reach_source="evidence", impact=1, confidence=100, effort=1)
    EvidenceFactory(initiative=initiative, customer=CustomerFactory(segment=segment))
    _rescore()
    segment.weight = 3.0
    with django_capture_on_commit_callbacks(execute=True):
        services.segment_save(actor=None, segment=segment)
    initiative.refresh_from_db()
    assert initiative.reach == pytest.approx(3.0, rel=1e-3)


def test_deleting_an_initiative_closes_the_rank_gap(django_capture_on_commit_callbacks):
    _, b, c = (InitiativeFactory(reach=r) for r in (30, 20, 10))
    _rescore()
    with django_capture_on_commit_callbacks(execute=True):
        services.initiative_delete(actor=None, initiative=b)
    assert list(Initiative.objects.order_by("rank").values_list("rank", flat=True)) == [1, 2]
    c.refresh_from_db()
    assert c.rank == 2


def test_a_mark_made_while_the_rescore_runs_survives_it(monkeypatch):
    """The rescore reads marks without locking; one that moves meanwhile is kept."""
    initiative = InitiativeFactory(reach_source="evidence", impact=1, confidence=100, effort=1)
    EvidenceFactory(initiative=initiative, customer=CustomerFactory())
    reads = evidence.evidence_reads

    def read_then_changes_arrive(*args, **kwargs):
        read = reads(*args, **kwargs)
        read = read._replace(rows=iter(list(read.rows)))
        services.evidence_ingest(
            actor=None,
            items=[{"source": "nps", "text": "late", "initiative": initiative}],
        )
        services.initiatives_mark(ids=[initiative.pk], trigger="edit")
        return read

    monkeypatch.setattr(evidence, "evidence_reads", read_then_changes_arrive)
    first = _rescore()
    initiative.refresh_from_db()
    assert first.claimed == 1
    assert initiative.evidence_count == 1  # what the run saw ...
    assert initiative.needs_rescore  # ... but the edit's mark stays
    assert initiative.reach_anchor is None  # and its sums may miss a change: unknown
    assert PendingEvidence.objects.count() == 1  # the late item waits for the next run
    monkeypatch.setattr(evidence, "evidence_reads", reads)
    assert _rescore().claimed == 1
    initiative.refresh_from_db()
    assert initiative.evidence_count == 2
    assert not initiative.needs_rescore
    assert not PendingEvidence.objects.exists()


def test_breakdown_text_survives_the_bulk_write_verbatim():
    """Scores reach the table by COPY on PostgreSQL: escapes must not bend the text."""
    hostile = 'Tab\there, new\nline, back\\slash \\N, "quoted" and \u00e9\u2014\U0001f680'
    objective = ObjectiveFactory(title=f"Objective {hostile}", weight=1.0)
    kr = KeyResultFactory(objective=objective, title=f"KR {hostile}")
    initiative = InitiativeFactory(reach=10, impact=1, confidence=100, effort=1)
    AlignmentFactory(initiative=initiative, key_result=kr, contribution="strong")
    _rescore()
    initiative.refresh_from_db()
    term = initiative.breakdown["alignment"]["terms"][0]
    assert (term["objective"], term["key_result"]) == (objective.title, kr.title)
    assert initiative.rank == 1
    assert not initiative.needs_rescore


def test_nightly_rescore_decays_the_kept_sums_without_reading_evidence():
    initiative = InitiativeFactory(reach_source="evidence", impact=1, confidence=100, effort=1)
    EvidenceFactory(initiative=initiative, customer=CustomerFactory())
    EvidenceFactory(initiative=initiative, customer=None)
    now = timezone.now()
    assert services.initiatives_rescore_marked(now=now).aggregated == 1
    services.initiatives_mark(ids=None, trigger="schedule", forget_sums=False)
    nightly = services.initiatives_rescore_marked(now=now + timedelta(days=90))
    initiative.refresh_from_db()
    assert (nightly.claimed, nightly.aggregated) == (1, 0)
    assert initiative.reach == pytest.approx(1.0, abs=1e-3)  # 2 x one half-life
    assert initiative.evidence_count == 2


def test_weekly_reaggregation_repairs_sums_the_nightly_run_keeps():
    initiative = InitiativeFactory(reach_source="evidence", impact=1, confidence=100, effort=1)
    EvidenceFactory(initiative=initiative, customer=CustomerFactory())
    services.initiatives_rescore_marked()
    Initiative.objects.filter(pk=initiative.pk).update(reach_weighted=41.0)  # drifted
    rescore_all_initiatives()
    initiative.refresh_from_db()
    assert initiative.reach == pytest.approx(41.0, rel=1e-3)  # nightly: the sums as kept
    rescore_all_initiatives(reaggregate=True)
    initiative.refresh_from_db()
    assert initiative.reach == pytest.approx(1.0, abs=1e-3)  # weekly: from the evidence


def test_a_nudge_waits_as_long_as_the_last_run_took_within_bounds(settings, monkeypatch):
    from roadmap.services import marks
    from roadmap.tasks import recompute_priorities as task

    settings.RESCORE_DEBOUNCE_SECONDS = 0.25
    settings.RESCORE_DEBOUNCE_MAX_SECONDS = 1.0
    assert marks.nudge_countdown() == 0.25  # no run yet
    for took, waits in ((0.6, 0.6), (5.0, 1.0), (0.05, 0.25)):
        marks.rescore_took(took)
        assert marks.nudge_countdown() == waits
    sent = []
    monkeypatch.setattr(task, "apply_async", lambda **kwargs: sent.append(kwargs))
    marks.rescore_took(0.4)
    _send_nudge()
    assert sent == [{"countdown": 0.4}]


def test_the_recompute_task_records_how_long_its_run_took(monkeypatch):
    from roadmap.services import marks

    InitiativeFactory()
    assert marks.nudge_countdown() == pytest.approx(0.25)
    took = []
    monkeypatch.setattr("roadmap.tasks.rescore_took", took.append)
    assert recompute_priorities() == 1
    assert len(took) == 1
    assert 0 < took[0] < 30


def test_renaming_or_cancelling_an_objective_rescores_what_is_aligned_to_it(
    django_capture_on_commit_callbacks,
):
    objective = ObjectiveFactory(title="Grow", weight=2.0)
    kr = KeyResultFactory(objective=objective)
    initiative = InitiativeFactory(reach=10, impact=1, confidence=100, effort=1)
    AlignmentFactory(initiative=initiative, key_result=kr, contribution="strong")
    _rescore()
    with django_capture_on_commit_callbacks(execute=True):
        okr_services.objective_update(actor=None, objective=objective, data={"title": "Retain"})
    initiative.refresh_from_db()
    assert initiative.breakdown["alignment"]["terms"][0]["objective"] == "Retain"
    aligned = initiative.priority_score
    okr_services.objective_update(actor=None, objective=objective, data={"status": "cancelled"})
    # (One test transaction: the nudge registered above stands for this commit too.)
    assert Initiative.objects.get(pk=initiative.pk).needs_rescore
    _rescore()
    initiative.refresh_from_db()
    assert aligned > 10.0
    assert initiative.priority_score == pytest.approx(10.0)
    assert initiative.breakdown["alignment"]["unaligned"] is True


@pytest.mark.parametrize("enabled_before", [True, False])
def test_rescore_leaves_the_cycle_collector_as_it_found_it(enabled_before, monkeypatch):
    # The run pauses Python's cycle collector; a failing run must not leave it off.
    InitiativeFactory(reach=10)
    seen = []

    def failing_write(*args):
        seen.append(gc.isenabled())
        raise RuntimeError("boom")

    monkeypatch.setattr(write, "write_rows", failing_write)
    (gc.enable if enabled_before else gc.disable)()
    try:
        with pytest.raises(RuntimeError, match="boom"):
            _rescore()
        assert gc.isenabled() is enabled_before
    finally:
        gc.enable()
    assert seen == [False]


def test_a_run_that_fails_before_it_commits_rolls_back_and_the_next_finishes(monkeypatch):
    """Rows already sent to the write (COPY on PostgreSQL) go with the rollback."""
    first, second, third = (InitiativeFactory(reach=r) for r in (10, 20, 30))
    services.evidence_ingest(
        actor=None, items=[{"source": "nps", "text": "slow export", "initiative": first}]
    )

    def fails(**kwargs):
        raise RuntimeError("the run failed after writing")

    monkeypatch.setattr(quarantine, "quarantine_record", fails)
    with pytest.raises(RuntimeError, match="failed after writing"):
        _rescore()
    assert Initiative.objects.filter(needs_rescore=True).count() == 3
    assert PendingEvidence.objects.count() == 1
    assert not ScoreSnapshot.objects.exists()
    monkeypatch.undo()
    assert _rescore().claimed == 3
    ranks = dict(Initiative.objects.values_list("pk", "rank"))
    assert ranks == {third.pk: 1, second.pk: 2, first.pk: 3}
    assert ScoreSnapshot.objects.count() == 3
    assert not PendingEvidence.objects.exists()


def test_an_initiative_that_fails_to_score_is_quarantined_and_the_rest_of_the_run_lands(
    monkeypatch,
):
    from roadmap.models import ScoreQuarantine

    good, poisoned, other = (InitiativeFactory(reach=r) for r in (10, 20, 30))
    services.evidence_ingest(
        actor=None, items=[{"source": "nps", "text": "slow export", "initiative": poisoned}]
    )
    real_score = scoring.score

    def fails_for_reach_20(inputs, **kwargs):
        if inputs.manual_reach == 20:
            raise ArithmeticError("cannot score this one")
        return real_score(inputs, **kwargs)

    monkeypatch.setattr(scoring, "score", fails_for_reach_20)
    result = _rescore()

    assert result.claimed == 3
    assert sorted(result.changed_ids) == sorted([good.pk, other.pk])
    ranks = dict(Initiative.objects.values_list("pk", "rank"))
    assert ranks[other.pk] == 1
    assert ranks[good.pk] == 2
    held = ScoreQuarantine.objects.get()
    assert held.initiative_id == poisoned.pk
    assert held.error == "ArithmeticError: cannot score this one"
    poisoned.refresh_from_db()
    # Not scored, not retried by every sweep, and its sums are taken afresh next time.
    assert poisoned.scored_at is not None
    assert poisoned.needs_rescore is False
    assert poisoned.reach_anchor is None
    assert not PendingEvidence.objects.exists()
    assert _rescore().claimed == 0

    # Fixed: the next change that marks it scores it (its evidence counted) and releases it.
    monkeypatch.undo()
    services.initiative_update(actor=None, initiative=poisoned, data={"effort": 2})
    assert _rescore().claimed == 1
    poisoned.refresh_from_db()
    assert poisoned.evidence_count == 1
    assert poisoned.priority_score == pytest.approx(20 * 1 * 0.8 / 2)
    assert not ScoreQuarantine.objects.exists()
