from datetime import UTC, datetime

import pytest

from roadmap.models import Customer, Evidence, Initiative
from tests.api.problems import fields, problem
from tests.factories import (
    CustomerFactory,
    EvidenceFactory,
    InitiativeFactory,
    SegmentFactory,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/evidence/"


def _item(n=0, **over):
    return {"source": "support", "text": f"Export is slow ({n})", **over}


def test_one_object_creates_one_item(integration):
    response = integration.post(
        URL,
        _item(importance="critical", received_at="2026-10-01T12:00:00Z", external_id="zd-1"),
        format="json",
    )

    assert response.status_code == 201
    data = response.json()
    assert data["source"] == "support"
    assert data["importance"] == "critical"
    assert data["external_id"] == "zd-1"
    assert data["received_at"] == "2026-10-01T12:00:00Z"
    assert data["initiative"] is None


def test_a_list_creates_every_item_in_one_call(integration):
    response = integration.post(
        URL, [_item(n, external_id=f"zd-{n}") for n in range(3)], format="json"
    )

    assert response.status_code == 201
    assert response.json()["created"] == 3
    assert response.json()["updated"] == 0
    assert [r["external_id"] for r in response.json()["results"]] == ["zd-0", "zd-1", "zd-2"]
    assert Evidence.objects.count() == 3


def test_one_bad_item_refuses_the_whole_list_naming_index_and_field(integration):
    items = [_item(0), _item(1, source="carrier-pigeon"), _item(2), _item(3, text="")]

    response = integration.post(URL, items, format="json")

    assert response.status_code == 400
    assert problem(response)["detail"] == "2 of 4 items are invalid; nothing was written."
    assert fields(response) == {
        "/1/source": ['"carrier-pigeon" is not a valid choice.'],
        "/3/text": ["This field may not be blank."],
    }
    assert not Evidence.objects.exists()


def test_an_unknown_reference_refuses_the_list_and_creates_no_customer(integration):
    items = [
        _item(0, customer_external_id="acme", customer_name="Acme"),
        _item(1, initiative=999999),
        _item(2, customer=999999),
        _item(3, customer_external_id="beta", customer_segment="Nope"),
    ]

    response = integration.post(URL, items, format="json")

    assert response.status_code == 400
    assert fields(response) == {
        "/1/initiative": ["No such initiative."],
        "/2/customer": ["No such customer."],
        "/3/customer_segment": ["No segment with this name."],
    }
    assert not Evidence.objects.exists()
    assert not Customer.objects.exists()


def test_more_than_1000_items_are_refused_with_a_clear_message(integration):
    response = integration.post(URL, [_item(n) for n in range(1001)], format="json")

    assert response.status_code == 400
    assert problem(response)["detail"] == (
        "A batch holds at most 1000 items; this one has 1001. Split it into several requests."
    )
    assert not Evidence.objects.exists()


def test_1000_items_are_accepted(integration, django_assert_max_num_queries):
    with django_assert_max_num_queries(40):
        response = integration.post(
            URL, [_item(n, customer_external_id=f"c{n % 10}") for n in range(1000)], format="json"
        )

    assert response.status_code == 201
    assert response.json()["created"] == 1000
    assert Customer.objects.count() == 10


def test_empty_list_and_wrong_body_are_refused(integration):
    empty = integration.post(URL, [], format="json")
    assert problem(empty, 400)["detail"] == "Send one object or a list of at least one."
    response = integration.post(URL, "just text", format="json")
    assert response.status_code == 400
    assert problem(response)["detail"] == "Send a JSON object or a list of objects."


def test_a_single_bad_object_gets_plain_field_errors(integration):
    response = integration.post(URL, _item(received_at="yesterday"), format="json")

    assert response.status_code == 400
    assert list(fields(response)) == ["/received_at"]


def test_repeated_external_id_updates_instead_of_duplicating(integration):
    integration.post(URL, _item(0, external_id="zd-9"), format="json")

    again = integration.post(URL, _item(0, external_id="zd-9", text="Edited"), format="json")
    batch = integration.post(
        URL,
        [_item(1, external_id="zd-9", text="Twice"), _item(2, external_id="zd-10")],
        format="json",
    )

    assert again.status_code == 200
    assert again.json()["text"] == "Edited"
    assert batch.json()["created"] == 1
    assert batch.json()["updated"] == 1
    assert Evidence.objects.count() == 2
    assert Evidence.objects.get(external_id="zd-9").text == "Twice"


def test_customer_by_external_id_is_created_once_with_name_and_segment(integration):
    enterprise = SegmentFactory(name="Enterprise", weight=3)

    first = integration.post(
        URL,
        _item(
            0, customer_external_id="crm-42", customer_name="Acme", customer_segment="Enterprise"
        ),
        format="json",
    )
    second = integration.post(URL, _item(1, customer_external_id="crm-42"), format="json")

    customer = Customer.objects.get(external_id="crm-42")
    assert customer.name == "Acme"
    assert customer.segment == enterprise
    assert first.json()["customer"] == second.json()["customer"] == customer.pk
    assert first.json()["customer_name"] == "Acme"
    assert first.json()["segment"] == enterprise.pk


def test_customer_by_id_and_both_ways_at_once(integration):
    customer = CustomerFactory()

    by_id = integration.post(URL, _item(customer=customer.pk), format="json")
    both = integration.post(
        URL, _item(customer=customer.pk, customer_external_id="x"), format="json"
    )

    assert by_id.json()["customer"] == customer.pk
    assert both.status_code == 400
    assert fields(both) == {
        "/customer": ["Name the customer by `customer` or `customer_external_id`, not both."]
    }


@pytest.mark.django_db(transaction=True)
def test_evidence_linked_to_an_initiative_moves_its_evidence_reach(integration, product):
    initiative = product.post(
        "/api/v1/initiatives/", {"title": "SSO", "reach_source": "evidence"}, format="json"
    ).json()
    assert initiative["reach"] == 0

    integration.post(
        URL,
        [_item(n, customer_external_id=f"c{n}", initiative=initiative["id"]) for n in range(3)],
        format="json",
    )

    fresh = product.get(f"/api/v1/initiatives/{initiative['id']}/").json()
    assert fresh["evidence_count"] == 3
    assert fresh["reach"] == pytest.approx(3, rel=1e-3)
    assert fresh["breakdown"]["reach"]["customers"] == 3


def test_patch_links_and_unlinks_evidence(product):
    evidence = EvidenceFactory()
    initiative = InitiativeFactory()

    linked = product.patch(f"{URL}{evidence.pk}/", {"initiative": initiative.pk}, format="json")
    unlinked = product.patch(f"{URL}{evidence.pk}/", {"initiative": None}, format="json")
    missing = product.patch(f"{URL}{evidence.pk}/", {"initiative": 999999}, format="json")

    assert linked.status_code == 200
    assert linked.json()["initiative"] == initiative.pk
    assert unlinked.json()["initiative"] is None
    assert missing.status_code == 400
    assert product.put(f"{URL}{evidence.pk}/", {}, format="json").status_code == 405


def test_delete_evidence(product):
    evidence = EvidenceFactory()

    assert product.delete(f"{URL}{evidence.pk}/").status_code == 204
    assert not Evidence.objects.exists()


def test_list_filters(product):
    segment = SegmentFactory(name="SMB")
    customer = CustomerFactory(segment=segment)
    initiative = InitiativeFactory()
    old = EvidenceFactory(
        source="nps", received_at=datetime(2026, 1, 1, tzinfo=UTC), customer=customer
    )
    linked = EvidenceFactory(
        source="sales", received_at=datetime(2026, 6, 1, tzinfo=UTC), initiative=initiative
    )

    def ids(query):
        response = product.get(f"{URL}?{query}")
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids("source=nps") == [old.pk]
    assert ids(f"customer={customer.pk}") == [old.pk]
    assert ids(f"segment={segment.pk}") == [old.pk]
    assert ids(f"initiative={initiative.pk}") == [linked.pk]
    assert ids("unlinked=true") == [old.pk]
    assert ids("received_after=2026-03-01T00:00:00Z") == [linked.pk]
    assert ids("received_before=2026-03-01T00:00:00Z") == [old.pk]
    assert ids("ordering=received_at") == [old.pk, linked.pk]
    assert product.get(f"{URL}?received_after=soon").status_code == 400
    assert Initiative.objects.count() == 1
    # Offsets Python reads and PostgreSQL refuses (past +/-15:59) filter as the same moment in UTC.
    assert ids("received_after=2026-03-01T17:26:00%2B17:26") == [linked.pk]
    assert ids("received_before=2026-03-02T01:00:00-23:00") == [old.pk]
    # One that leaves the calendar in UTC is a 400, not a 500.
    response = product.get(f"{URL}?received_after=0001-01-01T00:00:00%2B10:00")
    assert response.status_code == 400
    assert "received_after" in fields(response)


@pytest.mark.parametrize("reference", [2**63, 2**70, -1, 0])
def test_references_no_row_can_have_are_a_400_not_a_500(product, reference):
    response = product.post(
        "/api/v1/evidence/",
        [{"source": "nps", "text": "x", "customer": reference, "initiative": reference}],
        format="json",
    )
    assert response.status_code == 400, response.content
    assert not Evidence.objects.exists()
