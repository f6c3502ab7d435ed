"""The deployment checks of the database (roadmap.checks)."""

import pytest
from django.core import checks

from roadmap import checks as roadmap_checks

pytestmark = pytest.mark.django_db


def _ours(databases):
    return [m for m in checks.run_checks(databases=databases) if m.id.startswith("roadmap.")]


def test_autovacuum_off_is_a_warning_naming_the_database(monkeypatch):
    monkeypatch.setattr(roadmap_checks, "autovacuum_setting", lambda alias: "off")
    (warning,) = _ours(["default"])
    assert warning.id == "roadmap.W001"
    assert warning.level == checks.WARNING
    assert "'default'" in warning.msg
    assert "autovacuum = on" in warning.hint


def test_autovacuum_on_or_another_database_says_nothing(monkeypatch):
    for setting in ("on", None):
        monkeypatch.setattr(roadmap_checks, "autovacuum_setting", lambda alias, s=setting: s)
        assert _ours(["default"]) == []


def test_the_check_only_runs_when_the_database_is_asked_for(monkeypatch):
    monkeypatch.setattr(roadmap_checks, "autovacuum_setting", lambda alias: "off")
    assert _ours(None) == []


def test_the_setting_is_read_from_the_server():
    from django.db import connection

    setting = roadmap_checks.autovacuum_setting("default")
    if connection.vendor == "postgresql":
        assert setting in ("on", "off")
    else:
        assert setting is None
