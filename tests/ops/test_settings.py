"""Production settings: JSON logs, /metrics closed without a token, opt-in email and Sentry."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json
import django
django.setup()
from django.conf import settings
import sentry_sdk
client = sentry_sdk.get_client()
print(json.dumps({
    "format": settings.LOGGING["handlers"]["console"]["formatter"],
    "metrics_open": settings.METRICS_WITHOUT_TOKEN,
    "admins": settings.ADMINS,
    "email": settings.EMAIL_BACKEND,
    "sentry": client.is_active(),
    "pii": client.options.get("send_default_pii"),
    "release": client.options.get("release"),
    "integrations": sorted(client.integrations),
}))
"""


def production(**env) -> dict:
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SENTRY_", "LOG_", "METRICS_", "ADMINS", "EMAIL_"))
    }
    environ.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY="test-only",
        DJANGO_ALLOWED_HOSTS="priority.example.com",
        **env,
    )
    out = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_production_logs_json_keeps_metrics_closed_and_sentry_off_by_default():
    found = production()
    assert found["format"] == "json"
    assert found["metrics_open"] is False
    assert found["admins"] == []
    assert found["sentry"] is False


def test_production_settings_take_admins_email_and_an_optional_sentry():
    found = production(
        LOG_FORMAT="text",
        ADMINS="Ann Ops <ann@example.com>,ops@example.com",
        EMAIL_URL="consolemail://",
        SENTRY_DSN="http://public@127.0.0.1:9/1",  # loopback: nothing is sent anyway,
    )
    assert found["format"] == "text"
    assert found["admins"] == [
        ["Ann Ops", "ann@example.com"],
        ["ops@example.com", "ops@example.com"],
    ]
    assert found["email"] == "django.core.mail.backends.console.EmailBackend"
    assert found["sentry"] is True
    assert found["pii"] is False
    assert {"django", "celery"} <= set(found["integrations"])
    assert found["release"].startswith("priority@")
