"""Real services: PostgreSQL, Redis and Celery workers in subprocesses (one per queue).

Runs when DATABASE_URL points at PostgreSQL and CELERY_BROKER_URL at Redis;
otherwise every test here is skipped with the reason shown in the summary.
"""

import os
import signal
import socket
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


QUEUES = ("celery", "webhooks")


def _answering(names: set[str]) -> set[str]:
    """Which of these Celery nodes answer a ping."""
    try:
        replies = celery_app.control.ping(destination=sorted(names), timeout=0.5)
    except (OSError, redis.exceptions.ConnectionError, kombu.exceptions.OperationalError):
        # Redis was restarted under us: the pool drops the dead connection and
        # the next attempt reconnects.
        return set()
    return {name for reply in replies for name in reply} & names


class Worker:
    """The production layout: one worker process per queue, each its own process group.

    `celery` (rescores and the embedded beat) and `webhooks` (deliveries), as
    the README runs them, so a slow receiver cannot hold up a rescore here
    either. `proc` is the `celery` queue's worker.
    """

    def __init__(self, env):
        self.env = env
        self.procs: dict[str, subprocess.Popen] = {}
        self.artifacts = ROOT / "test-artifacts"
        self.names = {
            queue: f"itest-{queue}-{os.getpid()}@{socket.gethostname()}" for queue in QUEUES
        }

    @property
    def proc(self) -> subprocess.Popen | None:
        return self.procs.get("celery")

    def log(self, queue: str) -> Path:
        return self.artifacts / (
            "celery-worker.log" if queue == "celery" else f"{queue}-worker.log"
        )

    def _argv(self, queue: str) -> list[str]:
        argv = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            queue,
            "--loglevel=INFO",
            "--concurrency=2",
            "--pool=prefork",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            self.names[queue],
        ]
        if queue == "celery":
            # Embedded beat: the periodic sweeps run for real (every second here).
            argv += ["--beat", "--schedule", str(self.artifacts / "celerybeat-schedule")]
        return argv

    def _running(self, queue: str) -> bool:
        proc = self.procs.get(queue)
        return proc is not None and proc.poll() is None

    def start(self):
        """Start the worker of every queue that has none running; wait until each answers."""
        self.artifacts.mkdir(exist_ok=True)
        started = [queue for queue in QUEUES if not self._running(queue)]
        for queue in started:
            self.procs[queue] = subprocess.Popen(  # noqa: S603 - fixed argv, our own worker
                self._argv(queue),
                cwd=ROOT,
                env=self.env,
                stdout=self.log(queue).open("ab"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        waiting = {self.names[queue] for queue in started}
        wait_for(
            lambda: (
                any(not self._running(queue) for queue in started) or _answering(waiting) == waiting
            ),
            timeout=60,
            message=f"the Celery workers of {', '.join(started)} to answer a ping",
        )
        for queue in started:
            if not self._running(queue):
                code = self.procs[queue].returncode
                raise RuntimeError(f"{queue} worker exited with {code}; see {self.log(queue)}")

    def kill(self):
        """SIGKILL every worker and its pool processes: nothing gets to clean up."""
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
        for proc in self.procs.values():
            proc.wait(timeout=10)

    def ensure_running(self):
        self.start()

    def stop(self, sig=signal.SIGTERM):
        running = [proc for proc in self.procs.values() if proc.poll() is None]
        for proc in running:
            os.killpg(proc.pid, sig)
        for proc in running:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


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
        "WEBHOOK_RETRY_SCHEDULE": "0.5,1,2,4,8",
        "WEBHOOK_RETRY_JITTER": "0",
        "WEBHOOK_RETRY_SWEEP_SECONDS": "1",
        # Shorter than the 10 s default, so a receiver that dribbles is cut off sooner.
        "WEBHOOK_DELIVERY_DEADLINE_SECONDS": "6",
    }


# Package scope: the worker (and its beat, which sweeps marks and webhook
# retries every second) must be gone before the rest of the suite reuses the
# same test database.
@pytest.fixture(scope="package")
def celery_worker(worker_env):
    with celery_app.connection_for_write() as conn:
        for queue in QUEUES:
            conn.default_channel.queue_purge(queue)
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
    # Stopped (warm: running tasks finish) before the database is flushed: a
    # worker and its beat still reading while pytest-django's TRUNCATE takes
    # its locks can deadlock with it. The next test starts it again.
    celery_worker.stop()
