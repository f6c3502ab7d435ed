"""An unknown query parameter or ordering field is a 400 naming it (api/query.py)."""

import pytest

from tests.api.problems import codes, fields
from tests.factories import InitiativeFactory, MetricFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/initiatives/",
        "/api/v1/priorities/",
        "/api/v1/evidence/",
        "/api/v1/objectives/",
        "/api/v1/segments/",
        "/api/v1/alignment/matrix/",
        "/api/v1/scoring-policy/",
    ],
)
def test_an_unknown_query_parameter_is_a_400_naming_it(product, url):
    response = product.get(url, {"stauts": "idea"})

    assert response.status_code == 400
    assert fields(response) == {"stauts": ["Unknown query parameter 'stauts'."]}
    assert codes(response) == {"stauts": ["unknown_parameter"]}


def test_an_unknown_parameter_on_a_detail_url_is_refused_too(product):
    initiative = InitiativeFactory()
    response = product.get(f"/api/v1/initiatives/{initiative.pk}/", {"expand": "all"})
    assert fields(response) == {"expand": ["Unknown query parameter 'expand'."]}


def test_the_parameters_a_view_takes_are_accepted(product):
    metric = MetricFactory(key="nps")
    InitiativeFactory(title="Export", status="idea")
    accepted = [
        ("/api/v1/initiatives/", {"status": "idea", "search": "Exp", "ordering": "-id"}),
        ("/api/v1/priorities/", {"lane": "now", "team": "core", "page_size": 2}),
        ("/api/v1/evidence/", {"unlinked": "true", "received_after": "2026-01-01T00:00:00Z"}),
        ("/api/v1/alignment/matrix/", {"period": "2026-Q4", "lane": "now"}),
        (f"/api/v1/metrics/{metric.key}/readings/", {"page_size": 5}),
        ("/api/v1/initiatives/", {"format": "json"}),
    ]
    for url, params in accepted:
        response = product.get(url, params)
        assert response.status_code == 200, (url, response.json())


def test_an_unauthenticated_request_gets_its_401_before_any_parameter_check(anon):
    assert anon.get("/api/v1/initiatives/", {"nope": 1}).status_code == 401


def test_an_unknown_ordering_field_is_a_400_naming_it(product):
    response = product.get("/api/v1/initiatives/", {"ordering": "-priority_score,nope"})

    assert response.status_code == 400
    assert codes(response) == {"ordering": ["unknown_ordering"]}
    (message,) = fields(response)["ordering"]
    assert message.startswith("Unknown ordering field 'nope'; order by one of: ")
    assert "priority_score" in message


def test_a_known_ordering_still_orders(product):
    InitiativeFactory(title="B")
    InitiativeFactory(title="A")
    response = product.get("/api/v1/initiatives/", {"ordering": "title"})
    assert [row["title"] for row in response.json()["results"]] == ["A", "B"]
