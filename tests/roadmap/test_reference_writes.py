"""Writes to goals and customers move the priorities that depend on them, and are audited.

Each case changes one thing through its service, rescores what was marked,
and checks that the aligned (or affected) initiative's priority moved and that
an audit row names the change.
"""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEntry
from okrs import services as okr_services
from okrs.models import Metric, Objective
from okrs.periods import current_quarter, quarter_of
from roadmap import services
from roadmap.models import Customer, Initiative, Segment
from tests.factories import (
    AlignmentFactory,
    CustomerFactory,
    EvidenceFactory,
    InitiativeFactory,
    ObjectiveFactory,
    SegmentFactory,
)

pytestmark = pytest.mark.django_db


def _priority(initiative: Initiative) -> float:
    services.initiatives_rescore_marked()
    initiative.refresh_from_db()
    return initiative.priority_score


def _last_audit(instance) -> AuditEntry:
    return AuditEntry.objects.filter(
        object_id=instance.pk, content_type__model=instance._meta.model_name
    ).first()


@pytest.fixture
def aligned(product_user):
    objective = ObjectiveFactory(title="Grow revenue", weight=2)
    kr = okr_services.key_result_create(
        actor=product_user, objective=objective, title="Revenue", start=0, target=100, current=20
    )
    initiative = InitiativeFactory(title="Upsell", reach=100, impact=1, confidence=100, effort=1)
    AlignmentFactory(initiative=initiative, key_result=kr, contribution="strong")
    return {"objective": objective, "kr": kr, "initiative": initiative}


@pytest.mark.parametrize(
    ("field", "value"),
    [("current", 80), ("target", 40), ("kind", "milestone")],
)
def test_a_key_result_edit_moves_the_aligned_priority_and_is_audited(
    aligned, product_user, field, value
):
    before = _priority(aligned["initiative"])
    okr_services.key_result_update(
        actor=product_user, key_result=aligned["kr"], data={field: value}
    )
    assert _priority(aligned["initiative"]) != pytest.approx(before)
    entry = _last_audit(aligned["kr"])
    assert (entry.action, entry.actor) == ("update", product_user)
    assert entry.changes[field][1] == value


@pytest.mark.parametrize(("field", "value"), [("weight", 5.0), ("status", "cancelled")])
def test_an_objective_edit_moves_the_aligned_priority_and_is_audited(
    aligned, product_user, field, value
):
    before = _priority(aligned["initiative"])
    okr_services.objective_update(
        actor=product_user, objective=aligned["objective"], data={field: value}
    )
    assert _priority(aligned["initiative"]) != pytest.approx(before)
    entry = _last_audit(aligned["objective"])
    assert (entry.action, entry.actor) == ("update", product_user)
    assert entry.changes[field][1] == value


@pytest.fixture
def asked_for():
    """An initiative whose reach comes from one customer's evidence, in a segment of weight 1."""
    segment = SegmentFactory(name="Mid-market", weight=1.0)
    customer = CustomerFactory(name="Globex", segment=segment)
    initiative = InitiativeFactory(reach_source="evidence", impact=1, confidence=100, effort=1)
    EvidenceFactory(initiative=initiative, customer=customer)
    return {"segment": segment, "customer": customer, "initiative": initiative}


def test_a_segment_weight_change_moves_the_priority_of_what_its_customers_asked_for(
    asked_for, product_user
):
    before = _priority(asked_for["initiative"])
    services.segment_update(actor=product_user, segment=asked_for["segment"], data={"weight": 3.0})
    assert _priority(asked_for["initiative"]) == pytest.approx(3 * before, rel=1e-3)
    entry = _last_audit(asked_for["segment"])
    assert (entry.action, entry.actor, entry.changes) == (
        "update",
        product_user,
        {"weight": [1.0, 3.0]},
    )


def test_a_customer_moving_segment_moves_the_priority_of_what_it_asked_for(asked_for, product_user):
    before = _priority(asked_for["initiative"])
    enterprise = SegmentFactory(name="Enterprise", weight=4.0)
    services.customer_update(
        actor=product_user, customer=asked_for["customer"], data={"segment": enterprise}
    )
    assert _priority(asked_for["initiative"]) == pytest.approx(4 * before, rel=1e-3)
    entry = _last_audit(asked_for["customer"])
    assert entry.changes == {"segment": [asked_for["segment"].pk, enterprise.pk]}


def test_a_customer_rename_does_not_mark_anything(asked_for, product_user):
    _priority(asked_for["initiative"])
    services.customer_update(
        actor=product_user, customer=asked_for["customer"], data={"name": "Globex Corp"}
    )
    assert not Initiative.objects.filter(needs_rescore=True).exists()
    assert _last_audit(asked_for["customer"]).changes == {"name": ["Globex", "Globex Corp"]}


def test_deleting_a_segment_or_a_customer_rescores_and_is_audited(asked_for, product_user):
    weighted = SegmentFactory(name="Heavy", weight=5.0)
    services.customer_update(
        actor=product_user, customer=asked_for["customer"], data={"segment": weighted}
    )
    heavy = _priority(asked_for["initiative"])
    services.segment_delete(actor=product_user, segment=weighted)
    light = _priority(asked_for["initiative"])
    assert light == pytest.approx(heavy / 5, rel=1e-3)
    services.customer_delete(actor=product_user, customer=asked_for["customer"])
    assert _priority(asked_for["initiative"]) == pytest.approx(light, rel=1e-3)  # counted once
    deleted = AuditEntry.objects.filter(action="delete").values_list("content_type__model", "actor")
    assert set(deleted) == {("segment", product_user.pk), ("customer", product_user.pk)}
    assert not Segment.objects.filter(name="Heavy").exists()
    assert not Customer.objects.exists()


def test_segment_and_customer_creates_are_audited(product_user):
    segment = services.segment_create(actor=product_user, name="SMB", weight=0.5)
    customer = services.customer_create(
        actor=product_user, name="Initech", external_id="crm-1", segment=segment
    )
    assert _last_audit(segment).changes == {"name": "SMB", "description": "", "weight": 0.5}
    assert _last_audit(customer).changes["segment"] == segment.pk


def test_a_stale_segment_or_customer_edit_is_refused_and_changes_nothing(asked_for, product_user):
    segment, customer = asked_for["segment"], asked_for["customer"]
    seen_segment = services.segment_fingerprint(segment)
    seen_customer = services.customer_fingerprint(customer)
    services.segment_update(actor=None, segment=segment, data={"weight": 2.0})
    services.customer_update(actor=None, customer=customer, data={"name": "Renamed"})
    with pytest.raises(okr_services.StaleVersion) as caught:
        services.segment_update(
            actor=product_user,
            segment=segment,
            data={"weight": 9.0},
            expected_fingerprint=seen_segment,
        )
    assert caught.value.current.weight == 2.0
    with pytest.raises(okr_services.StaleVersion):
        services.customer_update(
            actor=product_user,
            customer=customer,
            data={"name": "Mine"},
            expected_fingerprint=seen_customer,
        )
    segment.refresh_from_db()
    customer.refresh_from_db()
    assert (segment.weight, customer.name) == (2.0, "Renamed")


def test_segment_weight_is_validated(product_user):
    with pytest.raises(ValidationError) as caught:
        services.segment_create(actor=product_user, name="Bad", weight=-1)
    assert "weight" in caught.value.message_dict
    assert not AuditEntry.objects.exists()


def test_metric_writes_are_audited_and_a_stale_metric_edit_is_refused(product_user):
    metric = okr_services.metric_create(actor=product_user, key="dau", name="DAU")
    seen = okr_services.metric_fingerprint(metric)
    okr_services.metric_update(
        actor=product_user, metric=metric, data={"name": "Daily actives"}, expected_fingerprint=seen
    )
    with pytest.raises(okr_services.StaleVersion):
        okr_services.metric_update(
            actor=product_user, metric=metric, data={"unit": "users"}, expected_fingerprint=seen
        )
    okr_services.metric_delete(actor=product_user, metric=metric)
    actions = list(
        AuditEntry.objects.filter(content_type__model="metric")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "update", "delete"]
    assert not Metric.objects.exists()


def test_a_new_objective_is_set_for_the_current_quarter_unless_told(product_user):
    objective = okr_services.objective_create(actor=product_user, title="Grow")
    assert objective.period == current_quarter()
    assert quarter_of(date(2026, 11, 3)) == "2026-Q4"
    assert quarter_of(date(2027, 1, 1)) == "2027-Q1"


def test_an_objective_cannot_sit_under_its_own_child(product_user):
    company = ObjectiveFactory(title="Company")
    team = ObjectiveFactory(title="Team", parent=company)
    with pytest.raises(ValidationError) as caught:
        okr_services.objective_update(actor=product_user, objective=company, data={"parent": team})
    assert caught.value.message_dict["parent"] == [
        "An objective cannot sit under itself or under one of its own."
    ]
    assert Objective.objects.get(pk=company.pk).parent_id is None
