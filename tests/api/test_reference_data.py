import pytest

from roadmap.models import Alignment, Customer, Segment
from tests.api.problems import fields
from tests.factories import (
    AlignmentFactory,
    CustomerFactory,
    InitiativeFactory,
    KeyResultFactory,
    SegmentFactory,
)

pytestmark = pytest.mark.django_db


def test_alignment_create_update_delete(product):
    initiative, kr = InitiativeFactory(), KeyResultFactory()

    created = product.post(
        "/api/v1/alignments/",
        {"initiative": initiative.pk, "key_result": kr.pk, "contribution": "weak"},
        format="json",
    )
    url = f"/api/v1/alignments/{created.json()['id']}/"
    changed = product.patch(url, {"contribution": "strong", "initiative": 999}, format="json")

    assert created.status_code == 201
    assert created.json()["objective"] == kr.objective_id
    assert changed.status_code == 200
    assert changed.json()["contribution"] == "strong"
    assert changed.json()["initiative"] == initiative.pk
    assert product.delete(url).status_code == 204
    assert not Alignment.objects.exists()


def test_alignment_validation(product):
    existing = AlignmentFactory()

    duplicate = product.post(
        "/api/v1/alignments/",
        {"initiative": existing.initiative_id, "key_result": existing.key_result_id},
        format="json",
    )
    bad = product.post(
        "/api/v1/alignments/",
        {"initiative": 999999, "key_result": existing.key_result_id, "contribution": "huge"},
        format="json",
    )

    assert duplicate.status_code == 400
    assert fields(duplicate) == {"": ["The fields initiative, key_result must make a unique set."]}
    assert bad.status_code == 400
    assert set(fields(bad)) == {"/initiative", "/contribution"}
    assert Alignment.objects.count() == 1


def test_alignments_filter_by_initiative(product):
    mine = AlignmentFactory()
    AlignmentFactory()

    rows = product.get(f"/api/v1/alignments/?initiative={mine.initiative_id}").json()["results"]

    assert [r["id"] for r in rows] == [mine.pk]


def test_segment_crud_and_validation(product):
    created = product.post("/api/v1/segments/", {"name": "Enterprise", "weight": 2}, format="json")
    url = f"/api/v1/segments/{created.json()['id']}/"

    assert created.status_code == 201
    assert created.json()["customer_total"] == 0
    assert fields(product.patch(url, {"weight": -1}, format="json")) == {
        "/weight": ["Ensure this value is greater than or equal to 0."]
    }
    assert product.patch(url, {"weight": 3}, format="json").json()["weight"] == 3
    dup = product.post("/api/v1/segments/", {"name": "Enterprise"}, format="json")
    assert fields(dup) == {"/name": ["segment with this name already exists."]}
    assert product.delete(url).status_code == 204
    assert not Segment.objects.exists()


def test_customer_crud_filter_and_validation(product):
    segment = SegmentFactory(name="SMB")
    created = product.post(
        "/api/v1/customers/",
        {
            "name": "Acme",
            "external_id": "crm-1",
            "segment": segment.pk,
            "annual_revenue": "1200.50",
        },
        format="json",
    )
    url = f"/api/v1/customers/{created.json()['id']}/"

    assert created.status_code == 201
    assert created.json()["annual_revenue"] == "1200.50"
    assert created.json()["evidence_total"] == 0
    assert product.patch(url, {"annual_revenue": "-5"}, format="json").status_code == 400
    assert product.patch(url, {"segment": None}, format="json").json()["segment"] is None
    CustomerFactory(external_id="crm-2")
    rows = product.get("/api/v1/customers/?external_id=crm-2").json()["results"]
    assert [r["external_id"] for r in rows] == ["crm-2"]
    assert product.delete(url).status_code == 204
    assert Customer.objects.count() == 1


def test_reference_data_is_read_only_for_marketing(marketing):
    segment = SegmentFactory()

    assert marketing.get(f"/api/v1/segments/{segment.pk}/").status_code == 200
    assert (
        marketing.patch(f"/api/v1/segments/{segment.pk}/", {"weight": 5}, format="json").status_code
        == 403
    )
    assert marketing.post("/api/v1/customers/", {"name": "x"}, format="json").status_code == 403


@pytest.mark.parametrize(
    ("page_size", "expected"),
    [("2", 2), ("200", 200), ("1000", 200), (None, 50)],
)
def test_lists_take_a_page_size_up_to_200(product, page_size, expected):
    Customer.objects.bulk_create(Customer(name=f"C{n}", external_id=f"c{n}") for n in range(205))
    params = {} if page_size is None else {"page_size": page_size}

    body = product.get("/api/v1/customers/", params).json()

    assert len(body["results"]) == expected
    assert body["next"] is not None
    if page_size == "2":  # the next page keeps the size
        assert "page_size=2" in body["next"]
        assert len(product.get(body["next"]).json()["results"]) == 2


@pytest.mark.parametrize("page_size", ["0", "-3", "many"])
def test_a_page_size_that_is_not_a_whole_number_from_1_is_refused(product, page_size):
    response = product.get("/api/v1/customers/", {"page_size": page_size})
    assert response.status_code == 400
    assert "page_size" in fields(response)
