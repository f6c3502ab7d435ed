"""Under gunicorn with two workers, every request is counted once, whichever worker answered it."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]
REQUESTS = 120
GUNICORN = [
    sys.executable,
    "-m",
    "gunicorn",
    "config.wsgi",
    "--workers",
    "2",
    "--log-level",
    "warning",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback only
        return response.read()


@pytest.fixture
def gunicorn(tmp_path):
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_999999.db").write_bytes(b"left by an earlier run")
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        # No tables: the state part of /metrics is left out; requests are counted all the same.
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    env.pop("CELERY_BROKER_URL", None)
    proc = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
        [*GUNICORN, "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "gunicorn.log").open("wb"),
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            _get(f"{base}/healthz")
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError((tmp_path / "gunicorn.log").read_text()) from None
            time.sleep(0.1)
    yield base, metrics_dir
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=20)


def _healthz_count(base: str) -> float:
    text = _get(f"{base}/metrics").decode()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "priority_http_requests_total" and sample.labels == {
                "method": "GET",
                "route": "ops:healthz",
                "status": "200",
            }:
                return sample.value
    return 0.0


def test_two_gunicorn_workers_count_every_request_once(gunicorn):
    base, metrics_dir = gunicorn
    assert not (metrics_dir / "counter_999999.db").exists()  # cleared at start
    # Both workers up and counting: on a loaded host the second may boot
    # seconds after the first answered, and until then the first takes all.
    deadline = time.monotonic() + 60
    with ThreadPoolExecutor(max_workers=8) as pool:
        while len(list(metrics_dir.glob("counter_*.db"))) < 2:
            assert time.monotonic() < deadline, "the second gunicorn worker never answered"
            list(pool.map(lambda _: _get(f"{base}/healthz"), range(16)))
        before = _healthz_count(base)
        list(pool.map(lambda _: _get(f"{base}/healthz"), range(REQUESTS)))
    # Counted once each, whichever worker answered, summed from both files.
    assert _healthz_count(base) - before == REQUESTS
