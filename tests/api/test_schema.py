"""The OpenAPI schema tells the truth: schemathesis calls every operation with
generated input (valid and invalid) and checks the answers against the schema."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from config.wsgi import application
from roadmap.webhooks import transport
from tests.factories import (
    AlignmentFactory,
    CustomerFactory,
    EvidenceFactory,
    MetricFactory,
    UserFactory,
)

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
schema.config.generation.update(max_examples=6)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Call the WSGI app as Django's test client does: without closing connections.

    Outside the test client, request_started/finished close "obsolete"
    connections, and inside the test's transaction that closes PostgreSQL's
    connection under the test (SQLite's in-memory database is exempt).
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def superuser_token(db):
    user = UserFactory(username="schemathesis")
    user.is_superuser = True
    user.save()
    return Token.objects.create(user=user).key


@pytest.fixture
def some_data(db):
    AlignmentFactory()
    EvidenceFactory(customer=CustomerFactory())
    MetricFactory(key="nps")


@pytest.fixture
def no_dns(monkeypatch):
    # Generated webhook URLs must not reach a resolver (no network in the tests).
    def refuse(host, port):
        raise OSError("resolution disabled in tests")

    monkeypatch.setattr(transport, "_resolve", refuse)


def test_schema_is_served_and_documents_errors_and_ingest_bodies(client):
    document = client.get("/api/schema/?format=json").json()

    paths = document["paths"]
    assert {"/api/v1/priorities/", "/api/v1/metrics/{key}/readings/"} <= set(paths)
    patch = paths["/api/v1/initiatives/{id}/"]["patch"]["responses"]
    assert {"200", "400", "401", "403", "404", "409"} <= set(patch)
    body = paths["/api/v1/evidence/"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["$ref"].endswith("/EvidenceOneOrManyRequest")
    one_or_many = document["components"]["schemas"]["EvidenceOneOrManyRequest"]["oneOf"]
    assert one_or_many[1]["type"] == "array"
    initiative = document["components"]["schemas"]["Initiative"]["properties"]
    for name in ("rice_score", "alignment_score", "priority_score", "rank", "scored_at"):
        assert initiative[name]["readOnly"] is True


def test_docs_page_uses_local_assets_only(client):
    page = client.get("/api/docs/").content.decode()

    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
    assert "https://" not in page


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_matches_its_schema(case, superuser_token, some_data, no_dns):
    case.call_and_validate(
        headers={"Authorization": f"Token {superuser_token}"},
        # Not schema conformance: a well-formed body may name a customer that does not
        # exist (400 is right), and DRF's parsing is lenient ("2" for 2) by design.
        excluded_checks=[negative_data_rejection, positive_data_acceptance],
    )
