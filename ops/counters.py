"""Counters kept in the shared cache: counted by any process on any host, read by any other.

For events that happen in Celery workers (webhook attempts): the cache is
shared by every web process and worker (settings: CACHES), Redis increments
atomically, and a scrape reads the same totals whichever web process answers
it. A counter lives until the cache loses it (a flush, or eviction under
memory pressure, unlikely for a key read at every scrape); Prometheus reads
the drop as a counter reset, which rate() handles.
"""

from __future__ import annotations

from django.core.cache import cache

PREFIX = "ops:count"

WEBHOOK_OUTCOMES = ("succeeded", "retry", "failed", "skipped", "error")


def _key(name: str, label: str) -> str:
    return f"{PREFIX}:{name}:{label}"


def count(name: str, label: str, amount: int = 1) -> None:
    key = _key(name, label)
    cache.add(key, 0, timeout=None)
    try:
        cache.incr(key, amount)
    except ValueError:  # evicted between the add and the incr
        cache.add(key, amount, timeout=None)


def totals(name: str, labels: tuple[str, ...]) -> dict[str, int]:
    found = cache.get_many([_key(name, label) for label in labels])
    return {label: int(found.get(_key(name, label), 0)) for label in labels}
