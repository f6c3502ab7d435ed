"""The production stack started as an operator starts it: the Procfile, run by
honcho from a .env file, on this machine's PostgreSQL and Redis.

The steps are the README's: `make serve` is `honcho run` migrate, then
`honcho start`. Here the processes are started by two honchos, `web webhooks
beat` and `worker`, so that the worker can be stopped alone (one honcho stops
all its processes when one of them exits). Then: /readyz goes green, evidence
pushed over the API with the integration user's token moves a priority, and
stopping the worker turns /readyz red, naming the worker.

Own resources, so nothing here meets the suite's other workers: a database
of its own beside the test database (`<test db>_stack`, dropped afterwards),
and two empty databases of the machine's Redis server (not the suite's: the
stack's broker queues are named as the suite's, `celery` and `webhooks`, and
a worker of either would take the other's tasks).
"""

import contextlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
import redis
from django.db import connection

from tests.integration.conftest import wait_for

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ARTIFACTS = ROOT / "test-artifacts"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _descendants(pid: int) -> list[int]:
    """Every process below `pid` (read from /proc), children first found first."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _stop(proc: subprocess.Popen, timeout: float = 30) -> None:
    """SIGTERM a process we started (honcho passes it on), then SIGKILL whatever is left."""
    below = _descendants(proc.pid)
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    for pid in below:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _get(url: str, headers: dict | None = None) -> tuple[int, dict] | None:
    """(status, JSON body), or None while nothing listens yet."""
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def _post(url: str, body, headers: dict) -> tuple[int, dict]:
    request = urllib.request.Request(  # noqa: S310 - loopback
        url,
        data=json.dumps(body).encode(),
        headers={**headers, "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


@pytest.fixture
def redis_server():
    """Two empty databases of the machine's Redis, for the stack's broker and cache.

    The same server as the suite's (CELERY_BROKER_URL), as an operator's
    stack would use it; not the suite's databases (its broker and, next to it,
    its cache), since the stack's queues are named as the suite's (`celery`,
    `webhooks`) and a worker of either would take the other's tasks. Kombu
    keeps queues per database and prefixes broadcast channels with it.
    Yields `(broker_url, cache_url)`; both databases are flushed afterwards.
    """
    parts = urlsplit(os.environ["CELERY_BROKER_URL"])
    host, port = parts.hostname or "127.0.0.1", parts.port or 6379
    suite_db = int(parts.path.strip("/") or 0)
    taken = {suite_db, suite_db + 1}
    spare = []
    for db in range(16):
        if db in taken:
            continue
        client = redis.Redis(host=host, port=port, db=db)
        # Empty, and claimed with a key so a concurrent run takes another one.
        if client.dbsize() == 0 and client.set("priority:stack-test", "1", nx=True):
            spare.append(client)
        else:
            client.close()
        if len(spare) == 2:
            break
    if len(spare) < 2:
        pytest.skip("no two empty Redis databases for the stack")
    broker, cache = spare
    try:
        yield (
            f"redis://{host}:{port}/{broker.connection_pool.connection_kwargs['db']}",
            f"redis://{host}:{port}/{cache.connection_pool.connection_kwargs['db']}",
        )
    finally:
        for client in spare:
            client.flushdb()
            client.close()


@pytest.fixture
def stack_database(django_db_setup):
    """A database of the stack's own beside the test database: a postgres:// URL."""
    params = connection.settings_dict
    name = f"{params['NAME']}_stack"
    admin = {
        "host": params["HOST"] or "127.0.0.1",
        "port": params["PORT"] or 5432,
        "user": params["USER"],
        "password": params["PASSWORD"] or None,
        "dbname": "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    password = f":{params['PASSWORD']}" if params["PASSWORD"] else ""
    yield f"postgres://{params['USER']}{password}@{admin['host']}:{admin['port']}/{name}"
    with psycopg.connect(**admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Stack:
    """The Procfile's processes under honcho, with the operator's .env."""

    def __init__(self, env_file: Path, port: int):
        self.env_file = env_file
        self.base = f"http://127.0.0.1:{port}"
        self.procs: dict[str, subprocess.Popen] = {}
        # The operator's shell: none of the test run's settings, the venv on PATH.
        self.environ = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "DATABASE_", "CELERY_", "CACHE_", "PROMETHEUS_"))
        }
        self.environ["PATH"] = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"

    def honcho(self, *args: str) -> list[str]:
        return [str(BIN / "honcho"), "-f", str(ROOT / "Procfile"), "-e", str(self.env_file), *args]

    def run(self, *argv: str) -> str:
        """`honcho run <argv>`: a one-off command with the .env, as `make serve` migrates."""
        done = subprocess.run(  # noqa: S603 - fixed argv
            self.honcho("run", *argv),
            cwd=ROOT,
            env=self.environ,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, f"{' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def start(self, name: str, *processes: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        log = (ARTIFACTS / f"operator-stack-{name}.log").open("ab")
        self.procs[name] = subprocess.Popen(  # noqa: S603 - fixed argv
            self.honcho("start", *processes),
            cwd=ROOT,
            env=self.environ,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

    def stop(self, name: str) -> None:
        _stop(self.procs[name])

    def stop_all(self) -> None:
        for proc in self.procs.values():
            _stop(proc)

    def readyz(self) -> tuple[int, dict] | None:
        return _get(f"{self.base}/readyz")


@pytest.fixture
def stack(tmp_path, stack_database, redis_server):
    port = _free_port()
    env_file = tmp_path / ".env"
    settings = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        # As behind a TLS-terminating proxy: requests say X-Forwarded-Proto: https.
        "DJANGO_BEHIND_PROXY": "true",
        "DATABASE_URL": stack_database,
        "CELERY_BROKER_URL": redis_server[0],
        "CACHE_URL": redis_server[1],
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "CELERY_CONCURRENCY": "2",
        "WEBHOOK_CONCURRENCY": "1",
        "CELERY_BEAT_SCHEDULE_FILE": str(tmp_path / "celerybeat-schedule"),
        # Faster than production, so that the test takes seconds: a sweep every
        # second, a heartbeat every second, a worker silent for 4 s is missing.
        "RESCORE_SWEEP_SECONDS": "1",
        "WORKER_HEARTBEAT_SECONDS": "1",
        "READYZ_WORKER_MAX_AGE_SECONDS": "4",
    }
    env_file.write_text("".join(f"{key}={value}\n" for key, value in settings.items()))
    stack = Stack(env_file, port)
    try:
        yield stack
    finally:
        stack.stop_all()


def test_the_procfile_stack_serves_rescores_and_reports_a_stopped_worker(stack):
    # make serve: migrate first (and the demo company, for an integration user).
    stack.run("python", "manage.py", "migrate", "--noinput")
    stack.run("python", "manage.py", "seed_demo")
    token = re.search(
        r"Generated token (\w+) for user integration",
        stack.run("python", "manage.py", "drf_create_token", "integration"),
    )[1]
    stack.start("web", "web", "webhooks", "beat")
    stack.start("worker", "worker")

    ready = wait_for(
        lambda: (answer := stack.readyz()) and answer[0] == 200 and answer,
        timeout=120,
        interval=0.5,
        message="/readyz to answer 200",
    )
    status, body = ready
    assert body["status"] == "ok", body
    assert all(check["ok"] for check in body["checks"].values()), body

    api = {"Authorization": f"Token {token}", "X-Forwarded-Proto": "https"}
    listed = f"{stack.base}/api/v1/priorities/?page_size=200"

    def row(initiative_id=None):
        status, page = _get(listed, api)
        assert status == 200, page
        rows = page["results"]
        if initiative_id is None:
            return next(r for r in rows if r["reach_source"] == "evidence")
        return next(r for r in rows if r["id"] == initiative_id)

    before = row()
    run = uuid.uuid4().hex[:8]
    status, answer = _post(
        f"{stack.base}/api/v1/evidence/",
        [
            {
                "source": "support",
                "text": f"Blocked without this ({n})",
                "importance": "critical",
                "initiative": before["id"],
                "customer_external_id": f"stack-{run}-{n}",
                "external_id": f"stack-{run}-{n}",
            }
            for n in range(5)
        ],
        api,
    )
    assert (status, answer["created"]) == (201, 5), answer
    after = wait_for(
        lambda: (r := row(before["id"]))["priority_score"] > before["priority_score"] and r,
        timeout=60,
        interval=0.5,
        message="the worker to move the priority",
    )
    assert after["reach"] > before["reach"]

    stack.stop("worker")
    status, body = wait_for(
        lambda: (answer := stack.readyz()) and answer[0] == 503 and answer,
        timeout=60,
        interval=0.5,
        message="/readyz to answer 503 once the worker stopped",
    )
    worker = body["checks"]["worker"]
    assert worker["ok"] is False
    assert "celery" in worker["error"]
    assert body["checks"]["database"]["ok"]
    assert body["checks"]["broker"]["ok"]
