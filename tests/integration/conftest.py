"""Real services: PostgreSQL, Redis and a Celery worker in a subprocess.

Runs when DATABASE_URL points at PostgreSQL and CELERY_BROKER_URL at Redis;
otherwise every test here is skipped with the reason shown in the summary.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import kombu.exceptions
import pytest
import redis.exceptions
from django.db import connection

from config.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]


def _real_services_configured() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(
        ("postgres://", "postgresql://")
    ) and os.environ.get("CELERY_BROKER_URL", "").startswith("redis://")


def pytest_collection_modifyitems(config, items):
    if _real_services_configured():
        return
    if os.environ.get("REQUIRE_INTEGRATION"):
        raise pytest.UsageError(
            "REQUIRE_INTEGRATION is set but DATABASE_URL / CELERY_BROKER_URL do not point at"
            " PostgreSQL and Redis"
        )
    skip = pytest.mark.skip(
        reason="integration: set DATABASE_URL=postgres://... and CELERY_BROKER_URL=redis://..."
    )
    for item in items:
        if "tests/integration" in str(item.fspath):
            item.add_marker(skip)


def wait_for(predicate, *, timeout=20.0, interval=0.05, message="condition"):
    """Poll `predicate` until it is truthy or `timeout` passes (a deadline, not a sleep)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


def _ping() -> bool:
    try:
        return bool(celery_app.control.ping(timeout=0.5))
    except (OSError, redis.exceptions.ConnectionError, kombu.exceptions.OperationalError):
        # Redis was restarted under us: the pool drops the dead connection and
        # the next attempt reconnects.
        return False


class Worker:
    def __init__(self, env):
        self.env = env
        self.proc = None
        self.log = ROOT / "test-artifacts" / "celery-worker.log"

    def start(self):
        self.log.parent.mkdir(exist_ok=True)
        self.proc = subprocess.Popen(  # noqa: S603 - fixed argv, our own worker
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--loglevel=INFO",
                "--concurrency=2",
                "--pool=prefork",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"itest-{os.getpid()}@%h",
                # Embedded beat: the periodic sweep runs for real (every second here).
                "--beat",
                "--schedule",
                str(self.log.parent / "celerybeat-schedule"),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(
            lambda: self.proc.poll() is not None or _ping(),
            timeout=60,
            message="the Celery worker to answer a ping",
        )
        if self.proc.poll() is not None:
            raise RuntimeError(f"worker exited with {self.proc.returncode}; see {self.log}")

    def kill(self):
        """SIGKILL the worker and its pool processes: nothing gets to clean up."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def ensure_running(self):
        if self.proc is None or self.proc.poll() is not None:
            self.start()

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


@pytest.fixture(scope="session")
def worker_env(django_db_setup, django_db_blocker):
    settings = connection.settings_dict
    url = (
        f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
    )
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DJANGO_DEBUG": "false",
        "CONN_MAX_AGE": "0",
        "RESCORE_SWEEP_SECONDS": "1",
        # Webhooks: the receiver is on loopback; retries every half second and up,
        # and a lost retry is swept up after one second.
        "WEBHOOKS_ALLOW_PRIVATE_TARGETS": "true",
        "WEBHOOK_RETRY_BASE_SECONDS": "0.5",
        "WEBHOOK_RETRY_SWEEP_SECONDS": "1",
    }


# Package scope: the worker (and its beat, which sweeps marks and webhook
# retries every second) must be gone before the rest of the suite reuses the
# same test database.
@pytest.fixture(scope="package")
def celery_worker(worker_env):
    celery_app.control.purge()
    worker = Worker(worker_env)
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture
def real_celery(celery_worker, transactional_db):
    """Tasks go to Redis and run in the worker process, not eagerly here."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    celery_worker.ensure_running()
    yield celery_worker
    celery_app.conf.task_always_eager = previous
    # A fault-injection test may have left it stopped or killed.
    celery_worker.ensure_running()
