"""What the API refuses, its schema states (and what its schema allows, it takes)."""

import pytest

from tests.api.problems import fields
from tests.factories import EvidenceFactory, InitiativeFactory

pytestmark = pytest.mark.django_db


def _schema(client) -> dict:
    return client.get("/api/schema/?format=json").json()


def _parameter(schema, path, name) -> dict:
    parameters = schema["paths"][path]["get"]["parameters"]
    return next(p["schema"] for p in parameters if p["name"] == name)


def test_page_sizes_are_documented_from_1_beside_the_cursor(product):
    schema = _schema(product)

    for path in ("/api/v1/initiatives/", "/api/v1/objectives/{id}/history/"):
        assert _parameter(schema, path, "page_size")["minimum"] == 1
        assert _parameter(schema, path, "cursor")["type"] == "string"


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v1/alignments/", "key_result"),
        ("/api/v1/initiatives/", "key_result"),
        ("/api/v1/customers/", "segment"),
        ("/api/v1/evidence/", "customer"),
    ],
)
def test_id_filters_are_documented_from_1_as_they_refuse_0(product, path, name):
    assert product.get(f"{path}?{name}=0").status_code == 400
    assert _parameter(_schema(product), path, name)["minimum"] == 1


@pytest.mark.parametrize("value", ["null", "yes", "", "1"])
def test_a_boolean_filter_that_is_not_true_or_false_is_a_400_not_the_whole_list(product, value):
    response = product.get(f"/api/v1/evidence/?unlinked={value}")

    assert response.status_code == 400
    assert fields(response) == {"unlinked": ["Send true or false."]}


def test_the_boolean_filter_still_filters(product):
    linked = EvidenceFactory(initiative=InitiativeFactory())
    inbox = EvidenceFactory(initiative=None)

    def ids(value):
        return [
            item["id"]
            for item in product.get(f"/api/v1/evidence/?unlinked={value}").json()["results"]
        ]

    assert ids("true") == [inbox.pk]
    assert sorted(ids("false")) == sorted([linked.pk, inbox.pk])  # "true: only the inbox"


@pytest.mark.parametrize("period", ["\x1e", " 2026-Q4"])
def test_an_alignment_period_outside_its_pattern_is_refused_not_trimmed(product, period):
    response = product.get("/api/v1/alignment/unaligned/", {"period": period})

    assert response.status_code == 400
    assert "period" in fields(response)


def test_ingest_lists_are_documented_with_their_bounds(product):
    components = _schema(product)["components"]["schemas"]

    for name in ("EvidenceOneOrManyRequest", "ReadingOneOrManyRequest"):
        many = next(b for b in components[name]["oneOf"] if b.get("type") == "array")
        assert (many["minItems"], many["maxItems"]) == (1, 1000)


def test_the_evidence_customer_rule_is_in_the_schema(product):
    rule = _schema(product)["components"]["schemas"]["EvidenceIngestRequest"]["not"]

    assert rule == {
        "required": ["customer", "customer_external_id"],
        "properties": {"customer": {"type": "integer"}, "customer_external_id": {"type": "string"}},
    }


@pytest.mark.parametrize("value", ["null", ""])
def test_the_unaligned_filter_takes_true_or_false_only(product, value):
    response = product.get(f"/api/v1/initiatives/?unaligned={value}")

    assert response.status_code == 400
    assert fields(response) == {"unaligned": ["Send true or false."]}


@pytest.mark.parametrize("cursor", ["", "x", "-1"])
def test_a_cursor_the_api_did_not_give_is_a_400_not_page_1(product, cursor):
    for url in ("/api/v1/key-results/", f"/api/v1/initiatives/{InitiativeFactory().pk}/history/"):
        response = product.get(f"{url}?cursor={cursor}")

        assert response.status_code == 400, url
        assert fields(response) == {
            "cursor": ["This cursor is not one the API gave; start again without it."]
        }


@pytest.mark.parametrize("path", ["/api/v1/evidence/", "/api/v1/metrics/{key}/readings/"])
def test_ingest_bodies_are_documented_as_required_and_refused_when_missing(
    product, integration, path
):
    from tests.factories import MetricFactory

    assert _schema(product)["paths"][path]["post"]["requestBody"]["required"] is True
    url = path.replace("{key}", MetricFactory(key="nps").key)
    response = integration.post(url, content_type="application/json")
    assert response.status_code == 400


@pytest.mark.parametrize("name", ["received_before", "received_after"])
def test_an_empty_moment_filter_is_a_400_not_the_whole_list(product, name):
    EvidenceFactory()
    response = product.get("/api/v1/evidence/", {name: ""})
    assert response.status_code == 400
    assert name in fields(response)
