"""Settings that fail safe: servers default to production, HTTPS unless a trial says otherwise,
the proxy header trusted only when declared, and the cache out of the broker's database."""

import importlib
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

import config.settings

ROOT = Path(__file__).resolve().parents[2]
SECRET = "k" * 20 + "-not-a-real-secret-but-long-and-random-enough-9f3a"
# Everything the settings read that could leak in from the shell running the tests.
ENV_KEYS = (
    "CACHE_URL",
    "CELERY_BROKER_URL",
    "DJANGO_BEHIND_PROXY",
    "DJANGO_INSECURE_HTTP",
    "DJANGO_SECURE_SSL_REDIRECT",
    "DJANGO_SECURE_HSTS_SECONDS",
)


@pytest.fixture
def load_settings(monkeypatch):
    """Import a settings module afresh under the given environment (undone after the test)."""

    def load(name, **env):
        for key in ENV_KEYS:
            monkeypatch.delenv(key, raising=False)
        monkeypatch.setenv("DJANGO_SECRET_KEY", SECRET)
        monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "priority.example.com")
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        for module in ("base", "production"):
            monkeypatch.delitem(sys.modules, f"config.settings.{module}", raising=False)
            monkeypatch.setattr(config.settings, module, None, raising=False)
        return importlib.import_module(name)

    return load


def _run(code, **env):
    base = {"PATH": os.environ["PATH"]}
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


# --- Which settings a process gets --------------------------------------------------


def test_a_server_started_without_a_settings_module_gets_production_settings():
    code = (
        "import config.wsgi; from django.conf import settings; "
        "print(settings.SETTINGS_MODULE, settings.DEBUG, settings.SESSION_COOKIE_SECURE)"
    )
    result = _run(code, DJANGO_SECRET_KEY=SECRET, DJANGO_ALLOWED_HOSTS="priority.example.com")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["config.settings.production", "False", "True"]


def test_a_server_without_a_secret_key_refuses_to_start_rather_than_run_on_the_dev_key():
    result = _run("import config.wsgi", DJANGO_ALLOWED_HOSTS="priority.example.com")
    assert result.returncode != 0
    assert "Set the DJANGO_SECRET_KEY environment variable" in result.stderr


def test_a_celery_worker_started_without_a_settings_module_gets_production_settings():
    code = "import os, config.celery; print(os.environ['DJANGO_SETTINGS_MODULE'])"
    result = _run(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "config.settings.production"


def test_manage_py_stays_on_local_settings_for_development():
    code = (
        "import os, sys, manage; sys.argv = ['manage.py', 'check']; manage.main(); "
        "print(os.environ['DJANGO_SETTINGS_MODULE'])"
    )
    result = _run(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "config.settings.local"


# --- HTTPS, the proxy header and the plain-HTTP trial -------------------------------


def test_production_is_https_only_by_default(load_settings):
    production = load_settings("config.settings.production")
    assert production.SESSION_COOKIE_SECURE is True
    assert production.CSRF_COOKIE_SECURE is True
    assert production.SECURE_SSL_REDIRECT is True
    assert production.SECURE_HSTS_SECONDS == 60 * 60 * 24 * 365
    assert production.SECURE_HSTS_PRELOAD is True


def test_the_proxy_header_is_trusted_only_when_a_proxy_is_declared(load_settings):
    assert not hasattr(load_settings("config.settings.production"), "SECURE_PROXY_SSL_HEADER")
    direct = load_settings("config.settings.production", DJANGO_BEHIND_PROXY="false")
    assert not hasattr(direct, "SECURE_PROXY_SSL_HEADER")
    behind = load_settings("config.settings.production", DJANGO_BEHIND_PROXY="true")
    assert behind.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")


def test_a_forged_forwarded_proto_does_not_make_a_request_secure(client, settings):
    settings.SESSION_COOKIE_SECURE = True
    assert settings.SECURE_PROXY_SSL_HEADER is None  # Django's default, which production keeps
    response = client.get(reverse("login"), HTTP_X_FORWARDED_PROTO="https")
    assert response.wsgi_request.is_secure() is False
    assert response.context["secure_cookies_over_http"] is True


def test_the_insecure_http_trial_drops_secure_cookies_redirect_and_hsts_and_says_so(
    load_settings, caplog
):
    with caplog.at_level(logging.WARNING, logger="config.settings"):
        trial = load_settings("config.settings.production", DJANGO_INSECURE_HTTP="true")
    assert trial.SESSION_COOKIE_SECURE is False
    assert trial.CSRF_COOKIE_SECURE is False
    assert trial.SECURE_SSL_REDIRECT is False
    assert trial.SECURE_HSTS_SECONDS == 0
    assert trial.SECURE_HSTS_PRELOAD is False
    assert trial.DEBUG is False  # still production in every other respect
    (record,) = [r for r in caplog.records if r.name == "config.settings"]
    assert record.levelno == logging.WARNING
    assert "DJANGO_INSECURE_HTTP=true" in record.getMessage()
    assert "clear text" in record.getMessage()


def test_the_insecure_http_trial_fails_the_deploy_check_loudly():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            "PATH": os.environ["PATH"],
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": SECRET,
            "DJANGO_ALLOWED_HOSTS": "priority.example.com",
            "DJANGO_INSECURE_HTTP": "true",
        },
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode != 0
    assert "DJANGO_INSECURE_HTTP=true: production settings WITHOUT HTTPS" in result.stderr
    assert "security.W012" in result.stderr  # SESSION_COOKIE_SECURE


def test_the_login_page_says_when_secure_cookies_make_logging_in_impossible(client, settings):
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    over_http = client.get(reverse("login")).content.decode()
    over_https = client.get(reverse("login"), secure=True).content.decode()
    assert 'id="insecure-connection"' in over_http
    assert "Logging in cannot work over this connection." in over_http
    assert "DJANGO_INSECURE_HTTP" in over_http
    assert 'id="insecure-connection"' not in over_https


def test_the_login_page_has_no_warning_when_cookies_are_not_secure(client, settings):
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    assert 'id="insecure-connection"' not in client.get(reverse("login")).content.decode()


# --- The cache and the broker -------------------------------------------------------


@pytest.mark.parametrize(
    ("broker", "cache"),
    [
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/1"),
        ("redis://127.0.0.1:6379/3", "redis://127.0.0.1:6379/4"),
        ("redis://redis:6379", "redis://redis:6379/1"),
        ("redis://:secret@redis:6379/15", "redis://:secret@redis:6379/0"),
        (
            "rediss://redis:6380/2?ssl_cert_reqs=required",
            "rediss://redis:6380/3?ssl_cert_reqs=required",
        ),
    ],
)
def test_a_cache_derived_from_the_broker_uses_another_redis_database(load_settings, broker, cache):
    base = load_settings("config.settings.base", CELERY_BROKER_URL=broker)
    assert base.CACHES["default"]["LOCATION"] == cache
    assert base.CACHES["default"]["LOCATION"] != base.CELERY_BROKER_URL
    assert base.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"


def test_cache_url_names_the_cache_whatever_the_broker(load_settings):
    base = load_settings(
        "config.settings.base",
        CELERY_BROKER_URL="redis://broker:6379/0",
        CACHE_URL="redis://cache:6379/0",
    )
    assert base.CACHES["default"]["LOCATION"] == "redis://cache:6379/0"


def test_without_redis_the_cache_is_local_memory(load_settings):
    base = load_settings("config.settings.base")
    assert base.CACHES["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
