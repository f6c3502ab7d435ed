"""Every snapshot names its causes: recorded with the marks, derived by the run, kept on a crash."""

from datetime import timedelta

import pytest
from django.utils import timezone

from okrs import services as okr_services
from roadmap import services
from roadmap.models import PendingCause, ScoreSnapshot
from roadmap.services.causes import record_causes
from roadmap.services.rescore import causes as rescore_causes
from roadmap.services.rescore import write
from tests.factories import (
    AlignmentFactory,
    CustomerFactory,
    EvidenceFactory,
    InitiativeFactory,
    KeyResultFactory,
    MetricFactory,
    ObjectiveFactory,
    SegmentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _rescore(**kwargs):
    return services.initiatives_rescore_marked(**kwargs)


def _latest(initiative) -> ScoreSnapshot:
    return initiative.snapshots.first()


def _aligned(progress=0.2, **kr):
    """An initiative aligned to a key result (0..100, at `progress`), scored once."""
    key_result = KeyResultFactory(current=progress * 100, progress=progress, **kr)
    initiative = InitiativeFactory(reach=100)
    AlignmentFactory(initiative=initiative, key_result=key_result)
    _rescore()
    assert not PendingCause.objects.exists()
    return initiative, key_result


def test_an_edit_names_the_field_its_values_and_who():
    priya = UserFactory(username="priya")
    initiative = InitiativeFactory(effort=3)
    _rescore()
    services.initiative_update(actor=priya, initiative=initiative, data={"effort": 2})
    _rescore()
    assert _latest(initiative).causes == [
        {"kind": "edit", "field": "effort", "from": 3.0, "to": 2.0, "by": "priya"}
    ]
    assert not PendingCause.objects.exists()


def test_a_new_initiative_is_created_by_someone():
    initiative = services.initiative_create(
        actor=UserFactory(username="sam"), title="SSO", reach=10, impact=1, confidence=80, effort=1
    )
    _rescore()
    assert _latest(initiative).causes == [{"kind": "edit", "field": "created", "by": "sam"}]


def test_an_alignment_names_the_key_result_and_the_contribution():
    initiative = InitiativeFactory()
    _rescore()
    kr = KeyResultFactory(title="Churn 5% -> 3%")
    services.alignment_set(actor=None, initiative=initiative, key_result=kr, contribution="strong")
    _rescore()
    assert _latest(initiative).causes == [
        {
            "kind": "alignment",
            "key_result": kr.pk,
            "title": "Churn 5% -> 3%",
            "from": None,
            "to": "strong",
            "by": None,
        }
    ]


def test_a_reading_names_the_key_result_its_progress_and_the_reading():
    metric = MetricFactory()
    initiative, kr = _aligned(0.2, metric=metric, title="Churn 5% -> 3%")
    result = okr_services.metric_readings_ingest(
        actor=None, metric=metric, items=[{"value": 50, "source": "Amplitude"}]
    )
    _rescore()
    assert _latest(initiative).causes == [
        {
            "kind": "key_result",
            "key_result": kr.pk,
            "title": "Churn 5% -> 3%",
            "from_progress": 0.2,
            "to_progress": 0.5,
            "via": "reading",
            "reading": result.readings[0].pk,
            "source": "Amplitude",
        }
    ]


def test_a_check_in_names_the_check_in_and_its_author():
    initiative, kr = _aligned(0.2)
    check_in = okr_services.check_in_create(
        actor=UserFactory(username="lee"), key_result=kr, value=70, confidence="on_track"
    )
    _rescore()
    (cause,) = _latest(initiative).causes
    assert cause["kind"] == "key_result"
    assert (cause["from_progress"], cause["to_progress"]) == (0.2, 0.7)
    assert (cause["via"], cause["check_in"], cause["by"]) == ("check_in", check_in.pk, "lee")


def test_an_objective_weight_change_names_the_objective_and_both_weights():
    objective = ObjectiveFactory(title="Retain customers", weight=1.0)
    initiative, _ = _aligned(0.2, objective=objective)
    okr_services.objective_update(actor=None, objective=objective, data={"weight": 2.0})
    _rescore()
    assert _latest(initiative).causes == [
        {
            "kind": "objective",
            "objective": objective.pk,
            "title": "Retain customers",
            "field": "weight",
            "from": 1.0,
            "to": 2.0,
        }
    ]


def test_new_evidence_is_counted_by_customers_and_segments():
    initiative = InitiativeFactory(reach_source="evidence", impact=1, confidence=100, effort=1)
    _rescore()
    enterprise = SegmentFactory(name="Enterprise", weight=2)
    big, other = CustomerFactory(segment=enterprise), CustomerFactory(segment=enterprise)
    services.evidence_ingest(
        actor=None,
        items=[
            {"source": "interview", "text": "a", "initiative": initiative, "customer": big},
            {"source": "interview", "text": "b", "initiative": initiative, "customer": big},
            {"source": "interview", "text": "c", "initiative": initiative, "customer": other},
            {"source": "nps", "text": "d", "initiative": initiative},
        ],
    )
    _rescore()
    assert _latest(initiative).causes == [
        {"kind": "evidence", "added": 4, "customers": 2, "segments": {"Enterprise": 3}}
    ]


def test_a_policy_change_is_listed_on_every_snapshot_of_its_run():
    first, second = InitiativeFactory(reach=10), InitiativeFactory(reach=20)
    _rescore()
    cause = {"kind": "policy", "field": "framework", "from": "rice", "to": "ice", "by": "priya"}
    # What the policy service does: the cause and the full rescore, in one transaction.
    record_causes(None, cause)
    services.initiatives_mark(ids=None, trigger="edit", forget_sums=False)
    services.initiatives.initiative_update(actor=None, initiative=first, data={"reach": 30})
    services.initiatives.initiative_update(actor=None, initiative=second, data={"reach": 40})
    _rescore()
    # (Its share: 0, as the policy itself did not change here.)
    assert _latest(first).causes[-1] == {**cause, "share": 0.0}
    assert _latest(second).causes[-1] == {**cause, "share": 0.0}
    assert not PendingCause.objects.exists()


def test_record_causes_refuses_an_unknown_kind_and_writes_nothing():
    initiative = InitiativeFactory()
    with pytest.raises(ValueError, match="Unknown cause kind 'gossip'"):
        record_causes([initiative.pk], {"kind": "gossip"})
    assert not PendingCause.objects.exists()


def test_the_nightly_run_names_decay_where_nothing_else_moved_a_score():
    now = timezone.now()
    initiative = InitiativeFactory(reach_source="evidence", impact=1, confidence=100, effort=1)
    EvidenceFactory(initiative=initiative, customer=CustomerFactory(), received_at=now)
    _rescore(now=now)
    services.initiatives_mark(ids=None, trigger="schedule", forget_sums=False)
    _rescore(now=now + timedelta(days=30))
    assert _latest(initiative).causes == [{"kind": "decay"}]


def test_a_rank_that_moves_while_the_score_stands_names_who_passed_it():
    sso = InitiativeFactory(title="SSO", reach=50)
    audit = InitiativeFactory(title="Audit log", reach=10)
    _rescore()
    services.initiative_update(actor=None, initiative=audit, data={"reach": 90})
    _rescore()
    shift = _latest(sso)
    assert (shift.previous_rank, shift.rank) == (1, 2)
    assert shift.causes == [
        {"kind": "rank_shift", "passed_by": [{"id": audit.pk, "title": "Audit log"}]}
    ]
    assert _latest(audit).causes[0]["kind"] == "edit"


def test_a_rank_shift_far_from_the_top_writes_no_snapshot():
    # 25 initiatives; the last one jumps to the top: those it passes below
    # RANK_SHIFT_TOP get no snapshot for it.
    rows = [InitiativeFactory(reach=100 - i) for i in range(25)]
    _rescore()
    before = ScoreSnapshot.objects.count()
    services.initiative_update(actor=None, initiative=rows[-1], data={"reach": 500})
    _rescore()
    shifted = ScoreSnapshot.objects.count() - before - 1
    assert shifted == rescore_causes.RANK_SHIFT_TOP  # ranks 1..20 each moved down one


def test_causes_arriving_together_are_all_listed_and_repeats_merged():
    priya = UserFactory(username="priya")
    initiative = InitiativeFactory(effort=3, reach=10, reach_source="manual")
    _rescore()
    services.initiative_update(actor=priya, initiative=initiative, data={"effort": 2})
    services.initiative_update(actor=priya, initiative=initiative, data={"effort": 1})
    services.initiative_update(actor=priya, initiative=initiative, data={"impact": 2})
    EvidenceFactory(initiative=initiative)  # a linked item, not through ingest: no cause
    services.evidence_ingest(
        actor=None, items=[{"source": "nps", "text": "x", "initiative": initiative}]
    )
    _rescore()
    # 10 x 1 x 80% / 3 = 2.67 -> 10 x 2 x 80% / 1 = 16; shares: Shapley values
    # (docs/SCORING.md): effort (8 - 2.67 + 16 - 5.33) / 2 = 8, impact 5.33;
    # evidence on manual reach moved nothing.
    assert _latest(initiative).causes == [
        {
            "kind": "edit",
            "field": "effort",
            "from": 3.0,
            "to": 1.0,
            "by": "priya",
            "count": 2,
            "share": 8.0,
        },
        {
            "kind": "edit",
            "field": "impact",
            "from": 1.0,
            "to": 2.0,
            "by": "priya",
            "share": 5.3333,
        },
        {"kind": "evidence", "added": 1, "customers": 0, "segments": {}, "share": 0.0},
    ]


def test_a_snapshot_keeps_twenty_causes_and_counts_the_rest():
    initiative = InitiativeFactory()
    _rescore()
    for n in range(25):
        record_causes([initiative.pk], {"kind": "policy", "field": f"knob{n}", "to": n})
    services.initiative_update(actor=None, initiative=initiative, data={"reach": 7})
    _rescore()
    causes = _latest(initiative).causes
    assert len(causes) == rescore_causes.MAX_CAUSES
    assert causes[-1] == {"kind": "more", "count": 26 - rescore_causes.MAX_CAUSES + 1}


def test_a_run_that_fails_leaves_the_causes_for_the_next(monkeypatch):
    initiative = InitiativeFactory(effort=3)
    _rescore()
    services.initiative_update(actor=None, initiative=initiative, data={"effort": 2})

    def failing_write(*args):
        raise RuntimeError("boom")

    with monkeypatch.context() as patch:
        patch.setattr(write, "write_rows", failing_write)
        with pytest.raises(RuntimeError, match="boom"):
            _rescore()
    assert PendingCause.objects.count() == 1
    _rescore()
    assert _latest(initiative).causes[0]["field"] == "effort"
    assert not PendingCause.objects.exists()


def test_removed_evidence_and_a_segment_weight_are_named():
    enterprise = SegmentFactory(name="Enterprise", weight=1)
    initiative = InitiativeFactory(reach_source="evidence", impact=1, confidence=100, effort=1)
    item = EvidenceFactory(initiative=initiative, customer=CustomerFactory(segment=enterprise))
    EvidenceFactory(initiative=initiative)
    _rescore()
    services.segment_update(
        actor=UserFactory(username="ana"), segment=enterprise, data={"weight": 3}
    )
    _rescore()
    assert _latest(initiative).causes == [
        {
            "kind": "evidence",
            "segment": "Enterprise",
            "field": "weight",
            "from": 1.0,
            "to": 3.0,
            "by": "ana",
        }
    ]
    services.evidence_delete(actor=None, evidence=item)
    _rescore()
    assert _latest(initiative).causes == [{"kind": "evidence", "removed": 1, "by": None}]
