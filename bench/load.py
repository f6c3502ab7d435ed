"""HTTP load from Python threads (ingest, freshness) and wrk (reads)."""

from __future__ import annotations

import http.client
import json
import random
import re
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

SOURCES = ["interview", "survey", "support", "nps", "sales", "in_app", "experiment"]


class Client:
    """One keep-alive connection with the bench user's token."""

    def __init__(self, port: int, token: str):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        self.conn.request(method, path, body=body, headers=self.headers)
        response = self.conn.getresponse()
        return response.status, response.read()

    def close(self) -> None:
        self.conn.close()


def evidence_batches(
    *, count: int, size: int, prefix: str, n_initiatives: int, n_customers: int, seed: int
) -> list[bytes]:
    """Pre-encoded ingest bodies shaped like the data set (skewed to a few initiatives).

    Nine items in ten name a known customer by id; one in ten a customer by
    external id (about half new), so the customer-resolution path is exercised.
    """
    rng = random.Random(seed)
    now = datetime.now(UTC)
    bodies = []
    n = 0
    for _ in range(count):
        items = []
        for _ in range(size):
            item = {
                "source": rng.choice(SOURCES),
                "text": f"bench feedback {prefix}-{n}: export to CSV takes too long",
                "received_at": (now - timedelta(days=rng.uniform(0, 30))).isoformat(),
                "external_id": f"{prefix}-{n}",
                "initiative": int(n_initiatives * rng.random() ** 3) + 1,
            }
            roll = rng.random()
            if roll < 0.9:
                item["customer"] = rng.randint(1, n_customers)
            else:
                # Half are known customers, half new ones (unique names: two
                # concurrent batches creating the same customer is another test).
                known = rng.random() < 0.5
                ext = f"c-{rng.randint(0, n_customers - 1)}" if known else f"new-{prefix}-{n}"
                item["customer_external_id"] = ext
            items.append(item)
            n += 1
        bodies.append(json.dumps(items).encode())
    return bodies


def post_batches(port: int, token: str, bodies: list[bytes], threads: int) -> float:
    """POST every body (threads in parallel); return the wall time. Any non-201 fails."""
    queue = list(reversed(bodies))
    lock = threading.Lock()
    failures: list[str] = []

    def run():
        client = Client(port, token)
        try:
            while True:
                with lock:
                    if not queue or failures:
                        return
                    body = queue.pop()
                code, payload = client.request("POST", "/api/v1/evidence/", body)
                if code != 201:
                    with lock:
                        failures.append(f"{code}: {payload[:300]!r}")
        finally:
            client.close()

    workers = [threading.Thread(target=run) for _ in range(threads)]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"ingest failed: {failures[0]}")
    return elapsed


class PacedIngest(threading.Thread):
    """Background ingest at a steady rate (batches/s) until stopped.

    Each batch is sent on schedule by one of a few connections, so a slow
    answer delays no later batch: the rate holds as long as the server keeps
    up, and `sent / elapsed` shows when it does not.
    """

    def __init__(
        self, port: int, token: str, bodies: list[bytes], per_second: float, connections: int = 4
    ):
        super().__init__(daemon=True)
        self.port, self.token, self.bodies = port, token, bodies
        self.interval = 1.0 / per_second
        self.stop_event = threading.Event()
        self.connections = connections
        self.sent = 0
        self.errors = 0
        self.lock = threading.Lock()

    def run(self):
        local = threading.local()
        clients = []

        def send(body):
            if not hasattr(local, "client"):
                local.client = Client(self.port, self.token)
                with self.lock:
                    clients.append(local.client)
            code, _ = local.client.request("POST", "/api/v1/evidence/", body)
            with self.lock:
                if code == 201:
                    self.sent += 1
                else:
                    self.errors += 1

        with ThreadPoolExecutor(max_workers=self.connections) as pool:
            self.started = next_at = time.perf_counter()
            for body in self.bodies:
                if self.stop_event.is_set():
                    break
                pool.submit(send, body)
                next_at += self.interval
                delay = next_at - time.perf_counter()
                if delay > 0:
                    self.stop_event.wait(delay)
            self.ended = time.perf_counter()
        for client in clients:
            client.close()

    def stop(self):
        self.stop_event.set()
        self.join()
        self.elapsed = self.ended - self.started


def freshness_probe(port: int, token: str, initiative_id: int, external_id: str) -> float:
    """Seconds from one evidence POST to the initiative's new score being served."""
    client = Client(port, token)
    try:
        code, body = client.request("GET", f"/api/v1/initiatives/{initiative_id}/")
        before = json.loads(body)
        item = {
            "source": "support",
            "text": "freshness probe",
            "external_id": external_id,
            "initiative": initiative_id,
            "customer_external_id": f"probe-{external_id}",
        }
        started = time.perf_counter()
        code, body = client.request("POST", "/api/v1/evidence/", json.dumps(item).encode())
        if code != 201:
            raise RuntimeError(f"probe POST answered {code}: {body[:200]!r}")
        while True:
            code, body = client.request("GET", f"/api/v1/initiatives/{initiative_id}/")
            now = json.loads(body)
            if (
                now["evidence_count"] > before["evidence_count"]
                and now["priority_score"] != before["priority_score"]
            ):
                return time.perf_counter() - started
            if time.perf_counter() - started > 30:
                # Counted as 30 s (a miss) rather than aborting the whole bench.
                return 30.0
            time.sleep(0.005)  # polling interval of the probe client, not synchronisation
    finally:
        client.close()


_LATENCY = re.compile(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(binary: str, port: int, token: str, path: str, seconds: int, connections: int) -> dict:
    """Run wrk; return requests/s, p50 and p99 (ms) and the count of non-2xx answers."""
    out = subprocess.run(  # noqa: S603 - our own fixed arguments
        [
            binary,
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-H",
            f"Authorization: Token {token}",
            f"http://127.0.0.1:{port}{path}",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latencies = {int(p): float(v) * _UNITS[u] for p, v, u in _LATENCY.findall(out)}
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return {
        "rps": rps,
        "p50_ms": latencies.get(50),
        "p99_ms": latencies.get(99),
        "non_2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(0) if errors else "",
    }
