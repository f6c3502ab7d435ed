"""Faults that must not lose a rescore: a killed worker, a restarted Redis, a
restarted PostgreSQL. Each runs against the real services."""

import json
import os
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from rest_framework.authtoken.models import Token

from bench import dataset
from roadmap import services
from roadmap.models import Initiative, PendingEvidence
from roadmap.services.rescore import ADVISORY_LOCK_KEY
from roadmap.tasks import recompute_priorities
from tests.factories import CustomerFactory, InitiativeFactory, UserFactory
from tests.integration.conftest import wait_for

ROOT = Path(__file__).resolve().parents[2]
REDIS_START = [
    "redis-server",
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "--port",
    "6379",
    "--save",
    "",
    "--appendonly",
    "no",
]


def _marked() -> int:
    return Initiative.objects.filter(needs_rescore=True).count()


def _rescore_in_progress() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s AND granted",
            [ADVISORY_LOCK_KEY],
        )
        return cursor.fetchone()[0] > 0


def _dsn() -> str:
    params = connection.settings_dict
    return (
        f"host={params['HOST'] or '127.0.0.1'} port={params['PORT'] or 5432}"
        f" user={params['USER']} dbname={params['NAME']}"
    )


def test_a_worker_killed_mid_recompute_loses_nothing(real_celery):
    real_celery.stop()
    sizes = dataset.generate(
        {
            "initiatives": 600,
            "customers": 2000,
            "segments": 6,
            "evidence": 40_000,
            "objectives": 6,
            "key_results": 30,
        }
    )
    assert _marked() == sizes["initiatives"]
    # Hold one initiative's row from another session: the rescore claims every
    # marked row FOR UPDATE, so it is caught inside its transaction, holding
    # its lock, until we kill the worker. Deterministic, no timing games.
    blocker = psycopg.connect(_dsn())
    blocker.execute("SELECT id FROM roadmap_initiative ORDER BY id DESC LIMIT 1 FOR UPDATE")
    try:
        real_celery.start()
        recompute_priorities.delay()
        wait_for(_rescore_in_progress, timeout=30, message="a rescore to be mid-transaction")
        real_celery.kill()
    finally:
        blocker.rollback()
        blocker.close()
    # The rescore's transaction died with its connection: every mark survived.
    wait_for(lambda: not _rescore_in_progress(), message="the killed transaction to end")
    assert _marked() == sizes["initiatives"]
    assert not Initiative.objects.filter(scored_at__isnull=False).exists()

    # A new worker's periodic sweep finishes the work; no message is needed.
    real_celery.start()
    wait_for(lambda: _marked() == 0, timeout=90, message="the sweep to rescore every mark")
    ranked = Initiative.objects.filter(status__in=Initiative.RANKED_STATUSES)
    assert not ranked.filter(rank_key__isnull=True).exists()

    # Running it again changes nothing.
    before = dict(Initiative.objects.values_list("id", "priority_score"))
    real_celery.stop()
    services.initiatives_mark(ids=None, trigger="schedule")
    second = services.initiatives_rescore_marked()
    assert second.claimed == sizes["initiatives"]
    assert second.changed_ids == []
    assert dict(Initiative.objects.values_list("id", "priority_score")) == pytest.approx(before)


def test_redis_restarted_with_queued_messages_loses_no_rescore(real_celery):
    initiative = services.initiative_create(
        actor=None, title="SSO", reach_source="evidence", impact=1, confidence=100, effort=1
    )
    wait_for(lambda: _marked() == 0, message="the initial score")
    real_celery.stop()
    customers = CustomerFactory.create_batch(4)
    services.evidence_ingest(
        actor=None,
        items=[
            {"source": "support", "text": "need SSO", "customer": c, "initiative": initiative}
            for c in customers
        ],
    )
    # New evidence marks nothing: it waits in PendingEvidence for the rescore.
    assert _marked() == 0
    assert PendingEvidence.objects.count() == 4
    # The nudge is waiting in Redis; Redis goes away without persistence.
    subprocess.run(["redis-cli", "-p", "6379", "shutdown", "nosave"], check=False)  # noqa: S607
    wait_for(
        lambda: subprocess.run(["redis-cli", "ping"], capture_output=True).returncode != 0,  # noqa: S607
        message="Redis to stop",
    )
    subprocess.run(REDIS_START, check=True)  # noqa: S603
    wait_for(
        lambda: subprocess.run(["redis-cli", "ping"], capture_output=True).returncode == 0,  # noqa: S607
        message="Redis to come back",
    )
    real_celery.start()
    wait_for(
        lambda: Initiative.objects.get(pk=initiative.pk).evidence_count == 4,
        timeout=30,
        message="the sweep to pick up the evidence the lost message was about",
    )
    initiative.refresh_from_db()
    assert initiative.reach == pytest.approx(4.0, rel=1e-3)
    assert not initiative.needs_rescore
    assert not PendingEvidence.objects.exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, token: str) -> int:
    request = urllib.request.Request(url, headers={"Authorization": f"Token {token}"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            json.load(response)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return -1


def test_a_postgresql_restart_costs_no_500_after_reconnect(real_celery, worker_env):
    user = UserFactory(username="reader", groups=["product"])
    token = Token.objects.create(user=user).key
    InitiativeFactory.create_batch(3)
    port = _free_port()
    # The 500s while PostgreSQL is down are expected; keep them out of the output.
    log = ROOT / "test-artifacts" / "gunicorn.log"
    env = {**worker_env, "CONN_MAX_AGE": "60", "DJANGO_ALLOWED_HOSTS": "127.0.0.1"}
    server = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--threads",
            "4",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/api/v1/initiatives/"
    try:
        wait_for(lambda: _get(url, token) == 200, timeout=30, message="gunicorn to serve")
        # Warm every thread's persistent connection.
        assert [_get(url, token) for _ in range(8)] == [200] * 8
        during: list[int] = []
        stop = threading.Event()

        def traffic():
            while not stop.is_set():
                during.append(_get(url, token))

        thread = threading.Thread(target=traffic)
        thread.start()
        cluster = os.listdir("/etc/postgresql")[0]
        subprocess.run(  # noqa: S603
            ["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "restart"],  # noqa: S607
            check=True,
        )
        stop.set()
        thread.join()
        connection.close()  # this test's own connection died with the server
        after = [_get(url, token) for _ in range(20)]
        print(f"during the restart: {sorted(set(during))}; after: {sorted(set(after))}")
        assert after == [200] * 20
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=20)
