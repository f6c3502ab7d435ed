"""The Django admin writes through the services: priorities move and the history records who.

Each test submits the admin's own form (its fields as the change page renders
them) as a superuser, the way a staff member would.
"""

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditEntry
from okrs import services as okr_services
from okrs.models import CheckIn, KeyResult, MetricReading, Objective
from roadmap import services
from roadmap.models import Alignment, Customer, Evidence, Initiative, ScoreSnapshot, Segment
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


@pytest.fixture
def staff():
    user = UserFactory(username="root", is_superuser=True, is_staff=True)
    client = Client()
    client.force_login(user)
    return client, user


@pytest.fixture
def aligned():
    objective = ObjectiveFactory(title="Grow revenue", weight=2)
    kr = okr_services.key_result_create(
        actor=None, objective=objective, title="Revenue", start=0, target=100, current=20
    )
    initiative = InitiativeFactory(title="Upsell", reach=100, impact=1, confidence=100, effort=1)
    AlignmentFactory(initiative=initiative, key_result=kr, contribution="strong")
    services.initiatives_rescore_marked()
    return {"objective": objective, "kr": kr, "initiative": initiative}


@pytest.fixture
def asked_for():
    segment = SegmentFactory(name="Mid-market", weight=1.0)
    customer = CustomerFactory(name="Globex", segment=segment)
    initiative = InitiativeFactory(reach_source="evidence", impact=1, confidence=100, effort=1)
    EvidenceFactory(initiative=initiative, customer=customer)
    services.initiatives_rescore_marked()
    return {"segment": segment, "customer": customer, "initiative": initiative}


def _priority(initiative) -> float:
    services.initiatives_rescore_marked()
    return Initiative.objects.get(pk=initiative.pk).priority_score


def _admin_form(client, url: str) -> dict:
    """The fields of the admin's change (or add) form, filled as the page shows them."""
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        data[name] = "" if value is None else value
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management[name].value()
    return data


def _submit(client, url: str, **changes):
    data = _admin_form(client, url) | changes | {"_save": "Save"}
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    return response


def _audit(instance) -> AuditEntry:
    return AuditEntry.objects.filter(
        content_type__model=instance._meta.model_name, object_id=instance.pk
    ).first()


def test_a_key_result_current_value_changed_in_the_admin_moves_the_aligned_priority(staff, aligned):
    client, user = staff
    kr, initiative = aligned["kr"], aligned["initiative"]
    before = _priority(initiative)

    _submit(client, f"/admin/okrs/keyresult/{kr.pk}/change/", current="80")

    kr.refresh_from_db()
    assert (kr.current, kr.progress, kr.version) == (80, 0.8, 2)
    assert _priority(initiative) < before  # the gap closed: the work counts for less
    entry = _audit(kr)
    assert (entry.action, entry.actor, entry.changes) == ("update", user, {"current": [20.0, 80.0]})
    assert Objective.objects.get(pk=kr.objective_id).progress == pytest.approx(0.8)


def test_an_objective_weight_changed_in_the_admin_moves_the_aligned_priority(staff, aligned):
    client, user = staff
    before = _priority(aligned["initiative"])
    _submit(client, f"/admin/okrs/objective/{aligned['objective'].pk}/change/", weight="6")
    assert _priority(aligned["initiative"]) > before
    entry = _audit(aligned["objective"])
    assert (entry.actor, entry.changes) == (user, {"weight": [2.0, 6.0]})


def test_a_segment_weight_and_a_customer_segment_changed_in_the_admin_rescore(staff, asked_for):
    client, user = staff
    initiative = asked_for["initiative"]
    before = _priority(initiative)
    _submit(client, f"/admin/roadmap/segment/{asked_for['segment'].pk}/change/", weight="2")
    assert _priority(initiative) == pytest.approx(2 * before, rel=1e-3)
    heavy = SegmentFactory(name="Enterprise", weight=5)
    _submit(
        client,
        f"/admin/roadmap/customer/{asked_for['customer'].pk}/change/",
        segment=str(heavy.pk),
    )
    assert _priority(initiative) == pytest.approx(5 * before, rel=1e-3)
    assert _audit(asked_for["segment"]).actor == user
    assert _audit(asked_for["customer"]).changes == {"segment": [asked_for["segment"].pk, heavy.pk]}


def test_adding_and_deleting_in_the_admin_go_through_the_services(staff, aligned):
    client, user = staff
    objective = aligned["objective"]
    response = _submit(
        client,
        "/admin/okrs/objective/add/",
        title="Retain customers",
        period="2026-Q4",
        weight="1",
        status="active",
    )
    created = Objective.objects.get(title="Retain customers")
    assert response["Location"] == "/admin/okrs/objective/"
    assert (_audit(created).action, _audit(created).actor) == ("create", user)

    before = _priority(aligned["initiative"])
    response = client.post(f"/admin/okrs/keyresult/{aligned['kr'].pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not KeyResult.objects.filter(pk=aligned["kr"].pk).exists()
    assert _priority(aligned["initiative"]) < before  # no longer aligned
    assert AuditEntry.objects.filter(action="delete", content_type__model="keyresult").exists()
    assert Objective.objects.get(pk=objective.pk).progress == 0


def test_the_bulk_delete_action_goes_through_the_services(staff, asked_for):
    client, _ = staff
    SegmentFactory(name="Spare")
    response = client.post(
        "/admin/roadmap/segment/",
        {
            "action": "delete_selected",
            "_selected_action": [str(s.pk) for s in Segment.objects.all()],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert not Segment.objects.exists()
    deleted = AuditEntry.objects.filter(action="delete", content_type__model="segment")
    assert deleted.count() == 2
    assert Initiative.objects.get(pk=asked_for["initiative"].pk).needs_rescore


def test_a_reading_added_in_the_admin_moves_the_key_results_tracking_the_metric(staff, aligned):
    client, _ = staff
    metric = MetricFactory(key="revenue")
    okr_services.key_result_update(actor=None, key_result=aligned["kr"], data={"metric": metric})
    before = _priority(aligned["initiative"])
    now = timezone.localtime()
    response = client.post(
        "/admin/okrs/metricreading/add/",
        {
            "metric": str(metric.pk),
            "value": "90",
            "observed_at_0": now.strftime("%Y-%m-%d"),
            "observed_at_1": now.strftime("%H:%M:%S"),
            "source": "warehouse",
            "external_id": "",
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    assert MetricReading.objects.get().external_id is None
    assert KeyResult.objects.get(pk=aligned["kr"].pk).current == 90
    assert _priority(aligned["initiative"]) < before
    assert (
        client.get(
            f"/admin/okrs/metricreading/{MetricReading.objects.get().pk}/delete/"
        ).status_code
        == 403
    )


def test_a_check_in_added_in_the_admin_is_the_services_check_in(staff, aligned):
    client, user = staff
    now = timezone.localtime()
    response = client.post(
        "/admin/okrs/checkin/add/",
        {
            "key_result": str(aligned["kr"].pk),
            "value": "45",
            "confidence": "at_risk",
            "note": "From the QBR",
            "checked_at_0": now.strftime("%Y-%m-%d"),
            "checked_at_1": now.strftime("%H:%M:%S"),
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    check_in = CheckIn.objects.get()
    assert (check_in.author, check_in.note) == (user, "From the QBR")
    kr = KeyResult.objects.get(pk=aligned["kr"].pk)
    assert (kr.current, kr.confidence) == (45, "at_risk")


def test_an_initiative_and_an_alignment_changed_in_the_admin_are_audited(staff, aligned):
    client, user = staff
    initiative = aligned["initiative"]
    _submit(client, f"/admin/roadmap/initiative/{initiative.pk}/change/", effort="4")
    initiative.refresh_from_db()
    assert (initiative.effort, initiative.version) == (4, 2)
    assert _audit(initiative).changes == {"effort": [1.0, 4.0]}
    other = KeyResultFactory(objective=aligned["objective"], title="Logos")
    _submit(
        client,
        "/admin/roadmap/alignment/add/",
        initiative=str(initiative.pk),
        key_result=str(other.pk),
        contribution="weak",
    )
    alignment = Alignment.objects.get(key_result=other)
    assert (_audit(alignment).action, _audit(alignment).actor) == ("create", user)


def test_computed_rows_and_evidence_text_cannot_be_edited_in_the_admin(staff, aligned):
    client, _ = staff
    evidence = EvidenceFactory(text="Wants SSO", initiative=None)
    assert client.get("/admin/roadmap/evidence/add/").status_code == 403
    assert client.get("/admin/roadmap/scoresnapshot/add/").status_code == 403
    snapshot = ScoreSnapshot.objects.first()
    page = client.get(f"/admin/roadmap/scoresnapshot/{snapshot.pk}/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    _submit(
        client,
        f"/admin/roadmap/evidence/{evidence.pk}/change/",
        initiative=str(aligned["initiative"].pk),
        text="Typed over",
    )
    evidence.refresh_from_db()
    assert (evidence.text, evidence.initiative_id) == ("Wants SSO", aligned["initiative"].pk)
    assert _audit(evidence).changes == {"initiative": [None, aligned["initiative"].pk]}
    client.post(f"/admin/roadmap/evidence/{evidence.pk}/delete/", {"post": "yes"})
    assert not Evidence.objects.exists()
    assert _audit(evidence).action == "delete"
    assert Customer.objects.count() == 0


def test_the_admin_refuses_a_reading_for_a_derived_metric(staff):
    client, _ = staff
    metric = okr_services.metric_create(
        actor=None, key="csat", name="CSAT", derived_kind="csat", derived_window_days=30
    )
    now = timezone.localtime()
    response = client.post(
        "/admin/okrs/metricreading/add/",
        {
            "metric": str(metric.pk),
            "value": "90",
            "observed_at_0": now.strftime("%Y-%m-%d"),
            "observed_at_1": now.strftime("%H:%M:%S"),
            "source": "",
            "external_id": "",
            "_save": "Save",
        },
    )
    assert response.status_code == 200  # the form again, with the error on the metric
    assert "takes no pushed readings" in response.content.decode()
    assert not MetricReading.objects.exists()
