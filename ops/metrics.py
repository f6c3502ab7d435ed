"""/metrics: what Prometheus scrapes, and where each number comes from.

Two kinds of numbers, chosen by where the truth lives:

- **Request counts and latencies** (`priority_http_*`) are counted by the
  process that answers, with prometheus-client. gunicorn runs several worker
  processes, so they are counted in multiprocess mode: gunicorn.conf.py gives
  every worker one PROMETHEUS_MULTIPROC_DIR (a fresh one per start) and a
  scrape, whichever worker answers it, sums every worker's files, those of
  workers that have exited included. Without the variable (runserver, tests)
  they live in this process.
- **Everything the workers do** is read at scrape time from what they leave
  behind, not counted in their memory: Celery workers are separate processes,
  often on other hosts, restarted and recycled, and a counter kept there
  would be lost or never seen. So the rescore's runs, durations and claimed
  and changed initiatives are summed from RecomputeRun rows (ops.rescore_totals),
  the pending work and its age from the database (ops.backlog), ingest from
  the evidence table's id sequence, webhook attempts from counters in the
  shared cache (ops.counters, incremented as each attempt ends), and the
  queue lengths from the broker. Any web process answers the same numbers.

A scrape runs a fixed number of cheap queries (each reads an index or a few
recent rows), whatever the size of the data.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)

# No `_created` series: multiprocess mode has none, and they double the output.
disable_created_metrics()

CONTENT_TYPE = CONTENT_TYPE_LATEST
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(
    "priority_http_requests",
    "HTTP requests answered, by method, route name and status code.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "priority_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route name.",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
)


def request_observe(method: str, route: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route).observe(seconds)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def exposition() -> bytes:
    """The text format: this process's (or every gunicorn worker's) counters, then the state."""
    from .collector import StateCollector

    if multiprocess_dir():
        requests = CollectorRegistry()
        multiprocess.MultiProcessCollector(requests)
    else:
        requests = REGISTRY
    state = CollectorRegistry(auto_describe=False)
    state.register(StateCollector())
    return generate_latest(requests) + generate_latest(state)
