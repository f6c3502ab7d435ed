"""/healthz and /readyz: every cause of a 503, what the body says, and what it never says."""

import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db.utils import OperationalError
from django.utils import timezone

from ops import backlog, heartbeats, selectors
from roadmap.models import Evidence, FullRescore, Initiative, PendingEvidence
from roadmap.services.marks import SWEEP_HEARTBEAT_KEY
from tests.factories import EvidenceFactory, InitiativeFactory

from .conftest import alive

pytestmark = pytest.mark.django_db


def _ready(client, query=""):
    response = client.get(f"/readyz{query}")
    return response.status_code, response.json()


def test_healthz_answers_at_once_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_probes_skip_the_https_redirect_and_the_host_check(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["priority.example.com"]
    # A page is redirected (or refused for its host) ...
    assert client.get("/accounts/login/", HTTP_HOST="priority.example.com").status_code == 301
    assert client.get("/accounts/login/", HTTP_HOST="10.0.0.7").status_code == 400
    # ... while a balancer probing the node by its address gets the answer.
    for path in ("/healthz", "/readyz"):
        response = client.get(path, HTTP_HOST="10.0.0.7:8000")
        assert response.status_code == 200, path
    assert "Location" not in client.get("/healthz").headers


def test_readyz_is_green_in_eager_mode_with_worker_and_beat_eager(client):
    status, body = _ready(client)
    assert status == 200
    assert body["status"] == "ok"
    assert body["checks"]["worker"] == {"ok": True, "mode": "eager"}
    assert body["checks"]["beat"] == {"ok": True, "mode": "eager"}
    assert body["checks"]["broker"] == {"ok": True, "mode": "eager"}
    assert body["checks"]["cache"] == {"ok": True}


def test_readyz_is_green_with_a_worker_on_every_queue_and_a_recent_sweep(client, live):
    alive()
    status, body = _ready(client)
    assert status == 200, body
    assert body["checks"]["worker"]["last_seen_seconds_ago"].keys() == {"celery", "webhooks"}
    assert body["checks"]["broker"]["queues"] == {"celery": 0, "webhooks": 0}


def test_no_worker_ever_is_503_naming_the_queues(client, live):
    alive()
    cache.delete_many([heartbeats.worker_heartbeat_key(q) for q in ("celery", "webhooks")])
    status, body = _ready(client)
    assert status == 503
    assert body["status"] == "unavailable"
    worker = body["checks"]["worker"]
    assert worker["ok"] is False
    assert worker["error"] == "no worker has answered for queue celery (never), webhooks (never)"


def test_a_stale_worker_heartbeat_is_503_after_the_limit(client, live):
    live.READYZ_WORKER_MAX_AGE_SECONDS = 30
    alive()
    heartbeats.worker_beat(["webhooks"], time.time() - 29)
    assert _ready(client)[0] == 200
    heartbeats.worker_beat(["webhooks"], time.time() - 31)
    status, body = _ready(client)
    assert status == 503
    assert (
        body["checks"]["worker"]["error"] == "no worker has answered for queue webhooks (31 s ago)"
    )


def test_beat_that_never_sent_the_sweep_is_503(client, live):
    alive()
    cache.delete_many([SWEEP_HEARTBEAT_KEY, heartbeats.BEAT_SENT_KEY])
    status, body = _ready(client)
    assert status == 503
    assert body["checks"]["beat"]["error"] == "beat has not sent the sweep: is beat running?"


def test_a_sweep_sent_but_not_run_is_503_saying_so(client, live):
    live.READYZ_BEAT_MAX_AGE_SECONDS = 60
    alive()
    cache.set(SWEEP_HEARTBEAT_KEY, time.time() - 61)
    status, body = _ready(client)
    assert status == 503
    assert body["checks"]["beat"]["error"] == "beat sends the sweep but no worker has run it"
    assert body["checks"]["beat"]["sweep_ran_seconds_ago"] >= 61


def test_an_unreachable_broker_is_503_with_the_error_class_only(client, live, monkeypatch):
    alive()

    def refused():
        raise ConnectionRefusedError("redis://:hunter2@redis.internal:6379/0 refused")

    monkeypatch.setattr(heartbeats, "queue_lengths", refused)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == {"ok": False, "error": "ConnectionRefusedError"}
    assert b"hunter2" not in response.content
    assert b"redis.internal" not in response.content


def test_an_unreachable_cache_is_503(client, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("cache.internal:6379 down")

    monkeypatch.setattr(cache, "set", down)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == {"ok": False, "error": "ConnectionError"}
    assert b"cache.internal" not in response.content


def test_an_unreachable_database_is_503_and_the_checks_that_need_it_say_so(client, monkeypatch):
    from django.db import connection

    def broken_cursor(*args, **kwargs):
        raise OperationalError('connection to server at "db.internal" failed: password for "p"')

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 503
    assert body["checks"]["database"] == {"ok": False, "error": "OperationalError"}
    assert body["checks"]["backlog"] == {"ok": False, "error": "the database is unreachable"}
    assert b"db.internal" not in response.content


def test_old_pending_evidence_is_503(client, settings):
    settings.READYZ_STALENESS_MAX_SECONDS = 120
    item = EvidenceFactory(initiative=InitiativeFactory())
    PendingEvidence.objects.create(evidence_id=item.pk)
    assert _ready(client)[0] == 200
    Evidence.objects.filter(pk=item.pk).update(created_at=timezone.now() - timedelta(seconds=130))
    status, body = _ready(client)
    assert status == 503
    assert body["checks"]["backlog"]["pending_evidence"] == 1
    assert body["checks"]["backlog"]["error"] == "unscored work (evidence) has waited 130 s"


def test_an_old_full_rescore_request_is_503(client, settings):
    settings.READYZ_STALENESS_MAX_SECONDS = 120
    request = FullRescore.objects.create(reaggregate=False)
    FullRescore.objects.filter(pk=request.pk).update(
        created_at=timezone.now() - timedelta(minutes=5)
    )
    status, body = _ready(client)
    assert status == 503
    assert body["checks"]["backlog"]["error"] == "unscored work (full_rescore) has waited 300 s"


def test_a_mark_seen_unscored_past_the_limit_is_503(client, settings, monkeypatch):
    settings.READYZ_STALENESS_MAX_SECONDS = 120
    initiative = InitiativeFactory()  # marked: never scored
    start = time.time()
    monkeypatch.setattr(backlog.time, "time", lambda: start)
    assert _ready(client)[0] == 200  # first seen now
    monkeypatch.setattr(backlog.time, "time", lambda: start + 121)
    status, body = _ready(client)
    assert status == 503
    assert body["checks"]["backlog"]["error"] == "unscored work (mark) has waited 121 s"
    # Scored and marked again since: a new mark, not an old one.
    Initiative.objects.filter(pk=initiative.pk).update(mark_version=initiative.mark_version + 1)
    assert _ready(client)[0] == 200


def test_a_quarantined_initiative_degrades_readiness_without_a_503(client):
    from roadmap.models import ScoreQuarantine
    from tests.web.test_quarantine import ERROR

    now = timezone.now()
    ScoreQuarantine.objects.create(
        initiative=InitiativeFactory(), error=ERROR, first_failed_at=now, last_failed_at=now
    )
    status, body = _ready(client)
    assert status == 200
    assert body["status"] == "degraded"


def test_a_check_that_raises_fails_alone(client, monkeypatch):
    def boom():
        raise RuntimeError("secret detail")

    monkeypatch.setattr(selectors, "beat_check", boom)
    status, body = _ready(client)
    assert status == 503
    assert body["checks"]["beat"] == {"ok": False, "error": "RuntimeError"}
    assert body["checks"]["database"] == {"ok": True}


def test_checks_can_be_chosen_for_a_load_balancer(client, live):
    # No worker at all: the full answer is 503, the web node's own checks are green.
    assert _ready(client)[0] == 503
    status, body = _ready(client, "?checks=database,cache")
    assert status == 200
    assert body["checks"].keys() == {"database", "cache"}
    response = client.get("/readyz?checks=database,disk")
    assert response.status_code == 400
    assert response.json() == {"detail": "Unknown checks: disk."}


def test_readyz_runs_the_same_queries_whatever_the_data(client, django_assert_max_num_queries):
    initiatives = InitiativeFactory.create_batch(30)
    for item in EvidenceFactory.create_batch(30, initiative=initiatives[0]):
        PendingEvidence.objects.create(evidence_id=item.pk)
    FullRescore.objects.create(reaggregate=False)
    with django_assert_max_num_queries(12):
        assert _ready(client)[0] == 200
