"""What brings a rescore: a mark in the writer's transaction, one coalesced nudge, the sweep.

And the changes that mark what they move: metrics, check-ins, segments, objectives.
"""

import pytest
from django.core.exceptions import ValidationError

from okrs import services as okr_services
from roadmap import services
from roadmap.models import Evidence, Initiative, RecomputeRun
from roadmap.services.marks import _send_nudge
from roadmap.tasks import recompute_priorities, sweep_marked_initiatives
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
from tests.ranks import current_ranks

pytestmark = pytest.mark.django_db


def _rescore():
    return services.initiatives_rescore_marked()


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
    assert sorted(current_ranks().values()) == [1, 2]
    c.refresh_from_db()
    assert c.rank == 2


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
