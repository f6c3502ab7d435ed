"""Fuzz the API as the two machine-facing roles (schemathesis, in process).

The live runs recorded in docs/SECURITY.md ("Fuzzing the API") go further
(thousands of cases per role against gunicorn and PostgreSQL); this is the
bounded part that runs in every `make test` (about 15 s of CPU): four generated
cases per operation, each sent as `product` and as `integration`, with every response
check schemathesis has except the two that judge DRF's documented leniency.
Schemathesis' boundary cases (its explicit examples, some 90 per operation) run
once, as a superuser, in tests/api/test_schema.py.
"""

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from rest_framework.authtoken.models import Token
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from config.wsgi import application
from tests.factories import AlignmentFactory, CustomerFactory, EvidenceFactory, MetricFactory

# Webhook targets are resolved and refused (SSRF guard) on create and edit: the
# superuser run in tests/api/test_schema.py covers those with DNS switched off.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application).exclude(
    operation_id_regex="^v1_webhooks_(create|update|partial_update)$"
)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    # As in tests/api/test_schema.py: the WSGI app must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(product_user, integration_user):
    # The user throttle (6,000/min) counts every earlier test's requests by the
    # same user ids in the last minute (the cache outlives each test): start clean.
    cache.delete_many([f"throttle_user_{u.pk}" for u in (product_user, integration_user)])
    AlignmentFactory()
    EvidenceFactory(customer=CustomerFactory())
    MetricFactory(key="nps")
    return {
        role: Token.objects.create(user=user).key
        for role, user in (("product", product_user), ("integration", integration_user))
    }


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=4,
    phases=[Phase.generate],
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_each_role_gets_documented_answers_and_never_a_500(case, tokens):
    for token in tokens.values():
        case.call_and_validate(
            headers={"Authorization": f"Token {token}"},
            excluded_checks=[negative_data_rejection, positive_data_acceptance],
        )
