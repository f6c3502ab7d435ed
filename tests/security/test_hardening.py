import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from tests.api.problems import problem
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_a_body_over_the_limit_gets_413_before_parsing(client, settings, product_user):
    settings.MAX_REQUEST_BODY_BYTES = 1000
    client.force_login(product_user)
    response = client.post("/api/v1/evidence/", data="x" * 1001, content_type="application/json")
    assert response.status_code == 413
    assert problem(response)["detail"] == "Request body is 1001 bytes; the limit is 1000 bytes."


def test_login_is_locked_after_repeated_failures(client):
    UserFactory(username="pat", groups=["product"])
    url = reverse("login")
    for _ in range(5):
        response = client.post(url, {"username": "pat", "password": "wrong"})
    assert response.status_code == 429
    # Even the right password is refused while locked out.
    response = client.post(url, {"username": "pat", "password": "pw-for-tests-1"})
    assert response.status_code == 429
    assert b"Too many failed log-in attempts" in response.content


def test_the_right_password_logs_in(client):
    UserFactory(username="pat", groups=["product"])
    response = client.post(reverse("login"), {"username": "pat", "password": "pw-for-tests-1"})
    assert response.status_code == 302


def test_pages_carry_a_content_security_policy_without_inline_script(client):
    response = client.get(reverse("login"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy


def test_production_settings_pass_the_deploy_check():
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "k" * 20 + "-not-a-real-secret-but-long-and-random-enough-9f3a",
        "DJANGO_ALLOWED_HOSTS": "priority.example.com",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_ALLOWED_HOSTS": "priority.example.com",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
