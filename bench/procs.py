"""The bench's own gunicorn and Celery worker subprocesses, and their memory."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def env() -> dict[str, str]:
    out = dict(os.environ)
    out["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    out["PYTHONPATH"] = str(ROOT)
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listening on {port} after {timeout}s")


class Proc:
    def __init__(self, args: list[str], log: Path):
        self.log = log.open("w")
        self.popen = subprocess.Popen(  # noqa: S603 - our own fixed arguments
            args, cwd=ROOT, env=env(), stdout=self.log, stderr=subprocess.STDOUT
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self.log.close()


def gunicorn(port: int, workers: int, logdir: Path) -> Proc:
    proc = Proc(
        [
            str(BIN / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--backlog",
            "2048",
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],
        logdir / "gunicorn.log",
    )
    wait_for_port(port)
    return proc


def celery_worker(logdir: Path, concurrency: int = 1, index: int = 0) -> Proc:
    """Worker `index` (0, 1, ...): each its own process and node name; only the first runs beat."""
    args = [
        str(BIN / "celery"),
        "-A",
        "config",
        "worker",
        # Both queues, as one small deployment would run them.
        "-Q",
        "celery,webhooks",
        "--pool",
        "prefork",
        "--concurrency",
        str(concurrency),
        "--without-gossip",
        "--without-mingle",
        "--loglevel",
        "WARNING",
        "-n",
        f"bench{index}@%h",
    ]
    if index == 0:
        # As in production: one beat (the bench's schedule is empty: see bench.settings).
        args += ["--beat", "--schedule", str(logdir / "celerybeat-schedule")]
    proc = Proc(args, logdir / ("celery.log" if index == 0 else f"celery-{index}.log"))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not children(proc.pid):
        time.sleep(0.2)
    return proc


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (peak resident set since the process started), in kB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    return out


def reset_peak_memory(pid: int) -> None:
    """Start VmHWM again from the current resident set (Linux 4.0+: clear_refs 5)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


CPU_GROUPS = ("gunicorn", "celery", "postgres")


def cpu_seconds() -> dict[str, float]:
    """CPU time (user + system) so far of every process, summed per group.

    Groups: gunicorn, celery and postgres by command line, and this process
    (the load generator) as "bench". A process that exits between two
    readings drops out: read around a phase whose processes stay up (the
    web and worker processes, and their pooled database connections, do).
    """
    tick = os.sysconf("SC_CLK_TCK")
    out = dict.fromkeys((*CPU_GROUPS, "bench"), 0.0)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seconds = (int(fields[11]) + int(fields[12])) / tick
        if int(entry.name) == os.getpid():
            out["bench"] += seconds
            continue
        for group in CPU_GROUPS:
            if group in command:
                out[group] += seconds
                break
    return out


def ensure_wrk() -> str:
    """wrk drives the read benchmark; install it from the distribution if missing."""
    path = shutil.which("wrk")
    if path:
        return path
    subprocess.run(["/usr/bin/apt-get", "install", "-y", "wrk"], check=True, capture_output=True)
    path = shutil.which("wrk")
    if not path:
        raise RuntimeError("wrk is not installed and apt-get could not install it")
    return path
