"""CSRF, clickjacking and per-token API throttling."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.throttling import UserRateThrottle

from roadmap.models import Initiative
from tests.api.problems import problem
from tests.factories import InitiativeFactory, UserFactory
from tests.security.conftest import api_client_for

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_a_page_write_without_the_csrf_token_is_refused_and_changes_nothing(product_user):
    initiative = InitiativeFactory(title="SSO", lane="later")
    client = Client(enforce_csrf_checks=True)
    client.force_login(product_user)

    response = client.post(
        f"/initiatives/{initiative.pk}/move/", {"lane": "now", "version": initiative.version}
    )

    assert response.status_code == 403
    assert Initiative.objects.get(pk=initiative.pk).lane == "later"


def test_the_api_with_a_browser_session_needs_the_csrf_token_but_a_token_client_does_not(
    product_user,
):
    initiative = InitiativeFactory(title="SSO")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(product_user)

    forged = browser.patch(
        f"/api/v1/initiatives/{initiative.pk}/",
        {"title": "Hijacked"},
        content_type="application/json",
    )
    assert forged.status_code == 403
    assert problem(forged)["detail"].startswith("CSRF Failed")
    assert Initiative.objects.get(pk=initiative.pk).title == "SSO"

    token = api_client_for(product_user).patch(
        f"/api/v1/initiatives/{initiative.pk}/", {"title": "Renamed"}, format="json"
    )
    assert token.status_code == 200


@pytest.mark.parametrize("path", ["/accounts/login/", "/", "/priorities/", "/evidence/"])
def test_pages_may_not_be_framed(client, product_user, path):
    client.force_login(product_user)
    response = client.get(path)
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_the_session_cookie_is_http_only(client, product_user):
    response = client.post("/accounts/login/", {"username": "pat", "password": "pw-for-tests-1"})
    assert response.cookies["sessionid"]["httponly"] is True
    assert response.cookies["sessionid"]["samesite"] == "Lax"


@pytest.fixture
def three_per_minute(monkeypatch):
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "3/min", "anon": "3/min"})
    yield
    for user in UserFactory._meta.model.objects.all():
        cache.delete(f"throttle_user_{user.pk}")


def test_the_api_throttles_each_token_on_its_own(three_per_minute, integration_user):
    busy = api_client_for(integration_user)
    other_user = UserFactory(username="other", groups=["integration"])
    other = api_client_for(other_user)
    for user in (integration_user, other_user):
        cache.delete(f"throttle_user_{user.pk}")  # ids are reused after a rolled-back test

    codes = [busy.get("/api/v1/priorities/").status_code for _ in range(4)]

    assert codes == [200, 200, 200, 429]
    assert (
        busy.get("/api/v1/priorities/")
        .json()["detail"]
        .startswith("Request was throttled. Expected available in")
    )
    assert other.get("/api/v1/priorities/").status_code == 200


def test_the_throttle_rates_come_from_the_environment():
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "API_THROTTLE_USER": "120/min",
        "API_THROTTLE_ANON": "7/min",
    }
    code = (
        "import django; django.setup(); from django.conf import settings;"
        "print(settings.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'])"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter, fixed code
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "{'user': '120/min', 'anon': '7/min'}"
