"""RateLimit-* headers on every API response, not only on 429s."""

import pytest
from django.core.cache import cache
from rest_framework.throttling import SimpleRateThrottle

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy")


@pytest.fixture
def three_per_minute(monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"user": "3/min", "anon": "2/min"})
    yield
    for user in UserFactory._meta.model.objects.all():
        cache.delete(f"throttle_user_{user.pk}")
    cache.delete_many(["throttle_anon_127.0.0.1", "throttle_user_127.0.0.1"])


@pytest.fixture(autouse=True)
def _fresh_counters(integration_user, marketing_user):
    # Ids are reused after a rolled-back test; counters in the cache are not.
    cache.delete_many(
        [
            f"throttle_user_{integration_user.pk}",
            f"throttle_user_{marketing_user.pk}",
            "throttle_anon_127.0.0.1",
            "throttle_user_127.0.0.1",
        ]
    )


def _limits(response) -> tuple:
    return tuple(response.get(name) for name in HEADERS)


def test_a_200_says_how_many_requests_are_left(three_per_minute, integration):
    first = integration.get("/api/v1/priorities/")
    second = integration.get("/api/v1/priorities/")

    assert first.status_code == 200
    assert _limits(first) == ("3", "2", "60", "3;w=60")
    assert second["RateLimit-Remaining"] == "1"
    assert 0 < int(second["RateLimit-Reset"]) <= 60


def test_the_429_has_the_headers_and_keeps_retry_after(three_per_minute, integration):
    answers = [integration.get("/api/v1/priorities/") for _ in range(4)]

    throttled = answers[-1]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert throttled["RateLimit-Remaining"] == "0"
    assert throttled["RateLimit-Limit"] == "3"
    assert 0 < int(throttled["Retry-After"]) <= 60
    assert abs(int(throttled["RateLimit-Reset"]) - int(throttled["Retry-After"])) <= 1


def test_each_account_has_its_own_count(three_per_minute, integration, marketing):
    integration.get("/api/v1/priorities/")
    integration.get("/api/v1/priorities/")

    answer = marketing.get("/api/v1/priorities/")
    assert _limits(answer) == ("3", "2", "60", "3;w=60"), answer.status_code


@pytest.mark.parametrize(
    "request_",
    [
        lambda c: c.post("/api/v1/evidence/", {"source": "support", "text": "x"}, format="json"),
        lambda c: c.get("/api/v1/initiatives/999999/"),
        lambda c: c.delete("/api/v1/initiatives/999999/"),
        lambda c: c.get("/api/schema/"),
        lambda c: c.get("/api/v1/segments"),
        lambda c: c.post("/api/v1/evidence/", "x" * 10, content_type="text/plain"),
    ],
    ids=["201", "404", "403", "schema", "slash-redirect", "415"],
)
def test_every_api_answer_carries_the_headers(three_per_minute, integration, request_):
    response = request_(integration)

    assert all(response.has_header(name) for name in HEADERS), response.status_code
    assert response["RateLimit-Limit"] == "3"  # the account's quota, not the address's


def test_a_401_counts_against_the_address(three_per_minute, anon):
    response = anon.get("/api/v1/priorities/")

    assert response.status_code == 401
    assert response["RateLimit-Limit"] == "2"  # the anonymous quota, per address


def test_a_replayed_post_reports_the_count_without_adding_to_it(three_per_minute, integration):
    body = {"source": "support", "text": "x"}
    integration.post("/api/v1/evidence/", body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    replay = integration.post("/api/v1/evidence/", body, format="json", HTTP_IDEMPOTENCY_KEY="k")

    assert replay["Idempotent-Replayed"] == "true"
    assert replay["RateLimit-Remaining"] == "2"


def test_pages_outside_the_api_have_no_rate_limit_headers(client, product_user):
    client.force_login(product_user)

    assert not client.get("/priorities/").has_header("RateLimit-Limit")
