"""The set-based rescore: scores, ranks, snapshots, kept sums, and runs that fail.

What marks initiatives and nudges the run: test_rescore_triggers.py.
"""

import gc
from dataclasses import fields
from datetime import timedelta

import pytest
from django.utils import timezone

from okrs import services as okr_services
from roadmap import scoring, services
from roadmap.models import Initiative, PendingEvidence, ScoreSnapshot
from roadmap.scoring import EvidenceSignal, evidence_reach
from roadmap.services import quarantine
from roadmap.services.marks import _send_nudge
from roadmap.services.rescore import evidence, write
from roadmap.tasks import rescore_all_initiatives
from tests.factories import (
    AlignmentFactory,
    CustomerFactory,
    EvidenceFactory,
    InitiativeFactory,
    KeyResultFactory,
    ObjectiveFactory,
    SegmentFactory,
)
from tests.ranks import current_ranks

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
    # change; near the top that is a snapshot naming who passed it (further
    # down, none: at scale one change shifts thousands of ranks) ...
    assert b.snapshots.count() == 2
    slipped = b.snapshots.first()
    assert (slipped.previous_rank, slipped.rank, slipped.priority_score) == (1, 2, 16.0)
    assert slipped.causes == [{"kind": "rank_shift", "passed_by": [{"id": a.pk, "title": a.title}]}]
    # ... and its row shows the slip in the ranked list, as a's shows its rise.
    assert (a.previous_rank, a.previous_priority_score) == (2, 8.0)
    assert (b.previous_rank, b.previous_priority_score) == (1, 16.0)


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


def test_a_write_row_carries_exactly_the_columns_of_the_write():
    """COPY sends a WriteRow's fields by WRITE_COLUMNS, JSON by field name: the same list."""
    assert [field.name for field in fields(write.WriteRow)] == write.WRITE_NAMES


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
    ranks = current_ranks()
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
    ranks = current_ranks()
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
