"""The OpenAPI schema documents Bearer keys, Idempotency-Key and the rate-limit headers."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        return APIClient().get("/api/schema/?format=json").json()


def _operations(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if isinstance(operation, dict) and "responses" in operation:
                yield path, method, operation


def test_the_bearer_scheme_is_declared_and_offered_first(schema):
    assert schema["components"]["securitySchemes"]["bearerAuth"]["type"] == "http"
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    evidence = schema["paths"]["/api/v1/evidence/"]["post"]
    assert evidence["security"][0] == {"bearerAuth": []}
    assert {"tokenAuth": []} in evidence["security"]


def test_every_post_takes_an_idempotency_key_and_documents_409_and_422(schema):
    posts = [(path, op) for path, method, op in _operations(schema) if method == "post"]

    assert posts
    for path, operation in posts:
        headers = [p for p in operation["parameters"] if p["in"] == "header"]
        assert [p["name"] for p in headers].count("Idempotency-Key") == 1, path
        assert {"409", "422"} <= operation["responses"].keys(), path


def test_every_response_documents_the_rate_limit_headers(schema):
    for path, method, operation in _operations(schema):
        for code, response in operation["responses"].items():
            headers = response.get("headers", {})
            assert {
                "RateLimit-Limit",
                "RateLimit-Remaining",
                "RateLimit-Reset",
                "RateLimit-Policy",
            } <= headers.keys(), (path, method, code)


def test_only_stored_post_answers_say_they_may_be_replays(schema):
    responses = schema["paths"]["/api/v1/evidence/"]["post"]["responses"]

    assert "Idempotent-Replayed" in responses["201"]["headers"]
    assert "Idempotent-Replayed" in responses["400"]["headers"]
    assert "Idempotent-Replayed" not in responses["401"]["headers"]
