"""The API takes the JSON types its schema states: no `false` for a number, no
number for a string, decimals as the documented string of digits."""

import pytest

import bounds
from okrs.models import MetricReading
from roadmap.models import Customer, Evidence, Initiative, Segment
from tests.api.problems import fields
from tests.factories import InitiativeFactory, MetricFactory

pytestmark = pytest.mark.django_db


def _schema(client) -> dict:
    return client.get("/api/schema/?format=json").json()["components"]["schemas"]


@pytest.mark.parametrize("reach", [False, True, "40"])
def test_a_number_field_refuses_booleans_and_strings(product, reach):
    response = product.post(
        "/api/v1/initiatives/", {"title": "Export", "reach": reach}, format="json"
    )

    assert response.status_code == 400
    assert fields(response) == {"/reach": ["A valid number is required."]}
    assert not Initiative.objects.exists()


def test_a_declared_number_field_refuses_strings_too(product):
    initiative = InitiativeFactory()

    response = product.patch(
        f"/api/v1/initiatives/{initiative.pk}/", {"effort": "2"}, format="json"
    )

    assert response.status_code == 400
    assert fields(response) == {"/effort": ["A valid number is required."]}


def test_a_segment_weight_of_false_is_refused(product):
    response = product.post("/api/v1/segments/", {"name": "SMB", "weight": False}, format="json")

    assert response.status_code == 400
    assert fields(response) == {"/weight": ["A valid number is required."]}
    assert not Segment.objects.exists()


def test_a_string_field_refuses_numbers(product):
    response = product.post("/api/v1/customers/", {"name": "Acme", "external_id": 7}, format="json")

    assert response.status_code == 400
    assert fields(response) == {"/external_id": ["Not a valid string."]}
    assert not Customer.objects.exists()


def test_evidence_ingest_refuses_a_number_for_an_external_id(integration):
    item = {"source": "support", "text": "Export is slow", "external_id": 12}

    response = integration.post("/api/v1/evidence/", [item], format="json")

    assert response.status_code == 400
    assert fields(response) == {"/0/external_id": ["Not a valid string."]}
    assert not Evidence.objects.exists()


@pytest.mark.parametrize("revenue", [1200, 1200.5, "1e3", " 12", "+5", ".5", "-1", "0" * 13, ""])
def test_revenue_is_a_plain_string_of_digits(product, revenue):
    response = product.post(
        "/api/v1/customers/", {"name": "Acme", "annual_revenue": revenue}, format="json"
    )

    assert response.status_code == 400, revenue
    assert "/annual_revenue" in fields(response)
    assert not Customer.objects.exists()


@pytest.mark.parametrize("revenue", ["0", "1200.5", "1200.50", "999999999999.99"])
def test_revenue_within_the_documented_pattern_is_accepted(product, revenue):
    response = product.post(
        "/api/v1/customers/", {"name": "Acme", "annual_revenue": revenue}, format="json"
    )

    assert response.status_code == 201, response.json()


def test_the_schema_states_the_revenue_pattern_the_api_enforces(product):
    revenue = _schema(product)["CustomerRequest"]["properties"]["annual_revenue"]

    assert revenue == {
        "type": "string",
        "pattern": r"^\d{1,12}(?:\.\d{1,2})?$",
        "maxLength": 16,
    }


@pytest.mark.parametrize("method", ["post", "put", "patch"])
def test_a_metric_description_of_0_is_refused(product, method):
    metric = MetricFactory(key="nps")
    url = "/api/v1/metrics/" if method == "post" else f"/api/v1/metrics/{metric.key}/"

    response = getattr(product, method)(
        url, {"key": "dau", "name": "DAU", "description": 0}, format="json"
    )

    assert response.status_code == 400
    assert fields(response) == {"/description": ["Not a valid string."]}


def test_a_reading_external_id_must_be_a_string(integration):
    MetricFactory(key="nps")

    response = integration.post(
        "/api/v1/metrics/nps/readings/", {"value": 3.0, "external_id": 12}, format="json"
    )

    assert response.status_code == 400
    assert fields(response) == {"/external_id": ["Not a valid string."]}
    assert not MetricReading.objects.exists()


def test_weights_state_their_minimum_and_the_api_keeps_to_it(product):
    components = _schema(product)
    for name in ("ObjectiveRequest", "KeyResultRequest"):
        weight = components[name]["properties"]["weight"]
        assert (weight["minimum"], weight["maximum"]) == (bounds.WEIGHT_MIN, bounds.WEIGHT_MAX)
        assert "exclusiveMinimum" not in weight

    def weight(value):
        return product.post(
            "/api/v1/objectives/",
            {"title": "Grow", "period": "2026-Q4", "weight": value},
            format="json",
        )

    assert weight(0.01).status_code == 201
    assert fields(weight(0.005)) == {"/weight": ["Must be at least 0.01."]}
    assert fields(weight(0)) == {"/weight": ["Must be more than 0."]}


def test_no_component_is_described_by_the_strict_base_class(product):
    described = {
        name: component.get("description", "") for name, component in _schema(product).items()
    }
    assert not [name for name, text in described.items() if "strict fields" in text]
