"""Every error under /api/ is one shape: RFC 9457 application/problem+json (api/errors.py)."""

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.throttling import UserRateThrottle

from okrs.models import MetricReading
from roadmap.models import Evidence
from tests.api.problems import codes, fields, problem
from tests.factories import InitiativeFactory, MetricFactory

pytestmark = pytest.mark.django_db

EVIDENCE = "/api/v1/evidence/"


def _item(n=0, **over):
    return {"source": "support", "text": f"Export is slow ({n})", **over}


def test_a_field_error_points_at_the_field_with_drf_s_code(product):
    response = product.post("/api/v1/initiatives/", {"title": "", "confidence": 500})

    body = problem(response, 400)
    assert body["type"] == "urn:priority:problem:validation-error"
    assert body["title"] == "Bad Request"
    assert {"pointer": "/title", "code": "blank", "detail": "This field may not be blank."} in (
        body["errors"]
    )
    assert codes(response)["/confidence"] == ["max_value"]
    assert codes(product.post("/api/v1/alignments/", {}))["/initiative"] == ["required"]


def test_a_batch_error_keeps_the_index_of_the_bad_item(integration):
    items = [_item(0), _item(1, received_at="yesterday"), _item(2), _item(3, text="")]

    response = integration.post(EVIDENCE, items, format="json")

    body = problem(response, 400)
    assert body["detail"] == "2 of 4 items are invalid; nothing was written."
    assert fields(response) == {
        "/1/received_at": [
            "Datetime has wrong format. Use one of these formats instead:"
            " YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
        ],
        "/3/text": ["This field may not be blank."],
    }
    assert codes(response) == {"/1/received_at": ["invalid"], "/3/text": ["blank"]}
    assert not Evidence.objects.exists()


def test_a_reading_batch_names_the_index_too(integration):
    metric = MetricFactory(key="nps")
    good = {"value": 40, "observed_at": "2026-10-01T00:00:00Z"}

    response = integration.post(
        f"/api/v1/metrics/{metric.key}/readings/",
        [good, good, {"value": "x", "observed_at": "2026-10-02T00:00:00Z"}],
        format="json",
    )

    assert codes(response) == {"/2/value": ["invalid"]}
    assert not MetricReading.objects.exists()


def test_a_stale_version_is_a_409_problem_carrying_the_current_object(product):
    initiative = InitiativeFactory(title="Old", version=3)

    response = product.patch(
        f"/api/v1/initiatives/{initiative.pk}/", {"title": "New"}, HTTP_IF_MATCH='"2"'
    )

    body = problem(response, 409)
    assert body["type"] == "urn:priority:problem:stale-version"
    assert body["detail"] == "This object was changed by someone else."
    assert body["current"]["title"] == "Old"
    assert body["current"]["version"] == 3
    assert response["ETag"] == '"3"'


def test_a_bad_if_match_points_at_the_header(product):
    initiative = InitiativeFactory()

    response = product.patch(
        f"/api/v1/initiatives/{initiative.pk}/", {"title": "New"}, HTTP_IF_MATCH="soon"
    )

    assert fields(response) == {"If-Match": ['Send the version as If-Match: "<version>".']}


def test_an_unknown_api_url_is_a_404_problem_not_a_page(product):
    response = product.get("/api/v1/nope/")

    body = problem(response, 404)
    assert body["type"] == "urn:priority:problem:not-found"
    assert body["detail"] == "There is no API resource at /api/v1/nope/."


@pytest.mark.parametrize("debug", [False, True])
def test_an_unknown_api_url_is_a_problem_with_debug_on_too(product, settings, debug):
    """`make run` serves with DEBUG on, where Django's handler404 is never called."""
    settings.DEBUG = debug
    body = problem(product.get("/api/v1/no/such/thing/"), 404)
    assert body["detail"] == "There is no API resource at /api/v1/no/such/thing/."
    # A known resource without its slash is still redirected to it first.
    assert product.get("/api/v1/initiatives").status_code == 301


def test_a_missing_object_is_a_404_problem(product):
    body = problem(product.get("/api/v1/initiatives/999999/"), 404)
    assert body["detail"] == "No Initiative matches the given query."


def test_a_page_outside_the_api_keeps_the_html_404(client, product_user):
    client.force_login(product_user)

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_wrong_method_is_a_405_problem(product):
    body = problem(product.put("/api/v1/priorities/", {}), 405)
    assert body["type"] == "urn:priority:problem:method-not-allowed"
    assert body["detail"] == 'Method "PUT" not allowed.'


def test_no_credentials_is_a_401_problem_with_its_challenge(anon):
    response = anon.get("/api/v1/initiatives/")

    body = problem(response, 401)
    assert body["type"] == "urn:priority:problem:not-authenticated"
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_body_over_the_limit_is_a_413_problem(product, settings):
    settings.MAX_REQUEST_BODY_BYTES = 100

    response = product.post(EVIDENCE, [_item(n) for n in range(10)], format="json")

    body = problem(response, 413)
    assert body["type"] == "urn:priority:problem:too-large"


def test_throttling_is_a_429_problem_with_retry_after(monkeypatch, integration, integration_user):
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "1/min", "anon": "1/min"})
    cache.delete(f"throttle_user_{integration_user.pk}")
    try:
        integration.get("/api/v1/priorities/")
        response = integration.get("/api/v1/priorities/")
    finally:
        cache.delete(f"throttle_user_{integration_user.pk}")

    body = problem(response, 429)
    assert body["type"] == "urn:priority:problem:throttled"
    assert 0 < int(response["Retry-After"]) <= 60


def test_an_unexpected_failure_is_a_500_problem(product_user, monkeypatch):
    from roadmap import selectors

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(selectors, "priority_list", broken)
    client = Client(raise_request_exception=False)
    client.force_login(product_user)

    response = client.get("/api/v1/priorities/")

    body = problem(response, 500)
    assert body["type"] == "urn:priority:problem:server-error"
    assert "boom" not in response.content.decode()


def test_the_schema_has_one_problem_component_for_every_error(product):
    schema = product.get("/api/schema/?format=json").json()

    assert "Problem" in schema["components"]["schemas"]
    errors = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for status, response in operation["responses"].items():
                if status[0] in "45":
                    errors += 1
                    assert response["content"] == {
                        "application/problem+json": {
                            "schema": {"$ref": "#/components/schemas/Problem"}
                        }
                    }, (path, method, status)
    assert errors > 100
