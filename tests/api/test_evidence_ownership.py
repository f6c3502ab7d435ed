"""An external_id upsert changes only the caller's own items (or any, for `product`), audited."""

import pytest

from audit.models import AuditEntry
from roadmap.models import Evidence
from tests.api.problems import problem
from tests.factories import CustomerFactory, InitiativeFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/evidence/"


def _item(**extra):
    return {"source": "support", "text": "Export to CSV times out", **extra}


@pytest.fixture
def ivys_item(integration):
    initiative = InitiativeFactory(title="Faster export")
    response = integration.post(
        URL, _item(external_id="zd-1", initiative=initiative.pk), format="json"
    )
    assert response.status_code == 201
    return Evidence.objects.get(external_id="zd-1")


@pytest.mark.parametrize("role", ["marketing", "other_integration"])
def test_another_account_cannot_rewrite_an_item_by_its_external_id(role, ivys_item, marketing):
    if role == "other_integration":
        from tests.api.conftest import _client_for

        client = _client_for(UserFactory(username="otto", groups=["integration"]))
    else:
        client = marketing
    other = InitiativeFactory(title="Something else")
    before = Evidence.objects.values().get(pk=ivys_item.pk)
    audit_rows = AuditEntry.objects.count()

    response = client.post(
        URL,
        [
            _item(external_id="new-1"),
            _item(
                external_id="zd-1",
                text="rewritten",
                initiative=other.pk,
                customer=CustomerFactory().pk,
                received_at="2026-01-01T00:00:00Z",
            ),
        ],
        format="json",
    )

    assert response.status_code == 403
    assert problem(response)["detail"] == (
        f"Evidence 'zd-1' (id {ivys_item.pk}) was added by another account: only that account"
        " or a product role may change it. Nothing was written."
    )
    assert Evidence.objects.values().get(pk=ivys_item.pk) == before
    assert not Evidence.objects.filter(external_id="new-1").exists()
    assert AuditEntry.objects.count() == audit_rows


def test_the_same_account_may_correct_its_item_and_the_change_is_audited(
    integration, integration_user, ivys_item
):
    other = InitiativeFactory(title="Something else")
    response = integration.post(
        URL,
        _item(external_id="zd-1", text="Export times out at 10k rows", initiative=other.pk),
        format="json",
    )
    assert response.status_code == 200
    ivys_item.refresh_from_db()
    assert ivys_item.text == "Export times out at 10k rows"
    assert ivys_item.initiative_id == other.pk
    entry = AuditEntry.objects.filter(object_id=ivys_item.pk, action="update").get()
    assert entry.actor == integration_user
    assert entry.changes["text"] == ["Export to CSV times out", "Export times out at 10k rows"]
    assert entry.changes["initiative"][1] == other.pk
    assert entry.related_to == f"roadmap.initiative:{other.pk}"


def test_a_retried_identical_batch_writes_no_audit_entry(integration, ivys_item):
    item = {
        "source": ivys_item.source,
        "text": ivys_item.text,
        "external_id": "zd-1",
        "initiative": ivys_item.initiative_id,
        "received_at": ivys_item.received_at.isoformat(),
        "importance": ivys_item.importance,
    }
    assert integration.post(URL, item, format="json").status_code == 200
    assert not AuditEntry.objects.filter(object_id=ivys_item.pk, action="update").exists()


def test_product_may_correct_any_item(product, product_user, ivys_item):
    response = product.post(URL, _item(external_id="zd-1", text="triaged"), format="json")
    assert response.status_code == 200
    ivys_item.refresh_from_db()
    assert ivys_item.text == "triaged"
    assert AuditEntry.objects.get(object_id=ivys_item.pk, action="update").actor == product_user


def test_linking_and_unlinking_evidence_is_audited(product, product_user, ivys_item):
    target = InitiativeFactory(title="Target")
    previous = ivys_item.initiative_id
    assert (
        product.patch(f"{URL}{ivys_item.pk}/", {"initiative": target.pk}, format="json").status_code
        == 200
    )
    assert (
        product.patch(f"{URL}{ivys_item.pk}/", {"initiative": None}, format="json").status_code
        == 200
    )
    entries = list(
        AuditEntry.objects.filter(object_id=ivys_item.pk, action="update").order_by("id")
    )
    assert [e.changes["initiative"] for e in entries] == [[previous, target.pk], [target.pk, None]]
    assert all(e.actor == product_user for e in entries)
