"""Signs of life from the other processes, read from the shared cache and the broker.

- Each Celery worker writes `worker_heartbeat_key(queue)` for every queue it
  consumes, every WORKER_HEARTBEAT_SECONDS (ops.worker.WorkerHeartbeat): a
  key per queue, not per hostname, because readiness asks "does some worker
  take this queue?", and a reader of the cache cannot list keys.
- The periodic sweep writes SWEEP_HEARTBEAT_KEY when it runs (beat sent it,
  a worker ran it); beat itself writes BEAT_SENT_KEY as it sends the sweep,
  so a reader can tell "beat stopped" from "no worker runs what beat sends".
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache

BEAT_SENT_KEY = "ops:beat-sent-sweep"
SWEEP_TASK = "roadmap.tasks.sweep_marked_initiatives"
HEARTBEAT_TTL = 24 * 3600


def worker_heartbeat_key(queue: str) -> str:
    return f"ops:worker-heartbeat:{queue}"


def eager() -> bool:
    return bool(settings.CELERY_TASK_ALWAYS_EAGER)


def expected_queues() -> list[str]:
    """Every queue tasks are sent to: the default one and those named in the routes."""
    queues = {getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery")} | {
        route["queue"] for route in settings.CELERY_TASK_ROUTES.values() if "queue" in route
    }
    return sorted(queues)


def worker_beat(queues, now: float | None = None) -> None:
    now = time.time() if now is None else now
    cache.set_many({worker_heartbeat_key(q): now for q in queues}, HEARTBEAT_TTL)


def worker_ages() -> dict[str, float | None]:
    if eager():
        return {}
    now = time.time()
    keys = {q: worker_heartbeat_key(q) for q in expected_queues()}
    found = cache.get_many(list(keys.values()))
    return {
        q: round(max(0.0, now - float(found[key])), 1) if key in found else None
        for q, key in keys.items()
    }


def _age(key: str) -> float | None:
    value = cache.get(key)
    return None if value is None else round(max(0.0, time.time() - float(value)), 1)


def sweep_age() -> float | None:
    # Imported here: config.celery loads this module before the apps are ready.
    from roadmap.services.marks import SWEEP_HEARTBEAT_KEY

    return None if eager() else _age(SWEEP_HEARTBEAT_KEY)


def beat_sent_age() -> float | None:
    return _age(BEAT_SENT_KEY)


def queue_lengths() -> dict[str, int] | None:
    """Messages waiting in each queue (LLEN on Redis), or None when tasks run eagerly.

    Raises what the broker raises when it cannot be reached.
    """
    if eager():
        return None
    from config.celery import app as celery_app

    # A connection of its own (~30 ms): a pooled one could outlive a broker restart broken.
    with celery_app.connection_for_read() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
        channel = conn.default_channel
        size = getattr(channel, "_size", None)  # kombu's virtual transports (Redis) have it
        if size is None:
            return {}
        return {queue: int(size(queue)) for queue in expected_queues()}
