"""A request body's key the API does not know is a 400 naming it; nothing is written.

DRF drops unknown keys in silence: a client that sent `efort` got a 200 and an
unchanged initiative. Read-only fields are known, so a body read with GET can
be sent back as it is.
"""

import pytest

from roadmap.models import Evidence, Initiative
from tests.api.problems import fields
from tests.factories import (
    AlignmentFactory,
    CustomerFactory,
    InitiativeFactory,
    KeyResultFactory,
    MetricFactory,
    ObjectiveFactory,
    SegmentFactory,
)

pytestmark = pytest.mark.django_db


def test_a_misspelt_field_is_named_with_the_field_meant(product):
    initiative = InitiativeFactory(effort=3)

    response = product.patch(f"/api/v1/initiatives/{initiative.pk}/", {"efort": 2}, format="json")

    assert response.status_code == 400
    assert fields(response) == {"/efort": ["Unknown field; did you mean `effort`?"]}
    initiative.refresh_from_db()
    assert initiative.effort == 3


def test_a_field_like_none_is_named_without_a_guess(product):
    response = product.post(
        "/api/v1/initiatives/", {"title": "Export", "zendesk_priority": "high"}, format="json"
    )

    assert response.status_code == 400
    assert fields(response) == {"/zendesk_priority": ["Unknown field."]}
    assert not Initiative.objects.exists()


# Each resource a client may PUT: how to make one, its URL, a field to change.
ROUND_TRIPS = {
    "initiative": (lambda: InitiativeFactory(title="Export"), "initiatives/{pk}", "title"),
    "objective": (lambda: ObjectiveFactory(title="Grow"), "objectives/{pk}", "title"),
    "key result": (lambda: KeyResultFactory(title="NPS 45"), "key-results/{pk}", "title"),
    "metric": (lambda: MetricFactory(key="nps", name="NPS"), "metrics/{key}", "name"),
    "segment": (lambda: SegmentFactory(name="SMB"), "segments/{pk}", "name"),
    "customer": (lambda: CustomerFactory(name="Acme"), "customers/{pk}", "name"),
    "alignment": (lambda: AlignmentFactory(), "alignments/{pk}", "contribution"),
}


@pytest.mark.parametrize("resource", ROUND_TRIPS)
def test_a_body_read_with_get_goes_back_with_put(product, resource):
    make, path, field = ROUND_TRIPS[resource]
    made = make()
    url = "/api/v1/" + path.format(pk=made.pk, key=getattr(made, "key", "")) + "/"
    body = product.get(url).json()
    body[field] = "weak" if field == "contribution" else "Renamed"

    response = product.put(url, body, format="json")

    assert response.status_code == 200, response.content[:300]
    assert response.json()[field] == body[field]


def test_one_unknown_key_in_a_batch_refuses_the_batch(integration):
    items = [
        {"source": "support", "text": "Export is slow"},
        {"source": "support", "text": "Export times out", "severity": "high"},
    ]

    response = integration.post("/api/v1/evidence/", items, format="json")

    assert response.status_code == 400
    assert fields(response) == {"/1/severity": ["Unknown field."]}
    assert not Evidence.objects.exists()


def test_a_policy_field_at_the_top_of_a_preview_is_refused(product):
    response = product.post("/api/v1/scoring-policy/preview/", {"framework": "ice"}, format="json")

    assert response.status_code == 400
    assert "/framework" in fields(response)


def test_a_misspelt_policy_field_in_a_preview_points_inside_the_policy(product):
    response = product.post(
        "/api/v1/scoring-policy/preview/", {"policy": {"framwork": "ice"}}, format="json"
    )

    assert response.status_code == 400
    assert fields(response) == {"/policy/framwork": ["Unknown field; did you mean `framework`?"]}


def test_an_empty_preview_says_what_it_needs(product):
    response = product.post("/api/v1/scoring-policy/preview/", {}, format="json")

    assert response.status_code == 400
    assert "Nothing to preview" in response.json()["detail"]


def test_a_misspelt_policy_field_changes_nothing(product):
    before = product.get("/api/v1/scoring-policy/").json()

    response = product.put(
        "/api/v1/scoring-policy/",
        {"framwork": "ice", "version": before["version"]},
        format="json",
    )

    assert response.status_code == 400
    assert fields(response) == {"/framwork": ["Unknown field; did you mean `framework`?"]}
    assert product.get("/api/v1/scoring-policy/").json() == before
