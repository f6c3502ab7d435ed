"""A generation number for the ranked list, so its pages can be cached safely.

Every write that changes what the ranked list shows bumps the generation after
it commits; a cached page is stored under the generation read *before* its
query ran, so a page built from old data can only ever sit under an old key.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction

GENERATION_KEY = "roadmap:priorities-generation"


def priorities_generation() -> int:
    value = cache.get(GENERATION_KEY)
    if value is None:
        cache.add(GENERATION_KEY, 1, timeout=None)
        value = cache.get(GENERATION_KEY, 1)
    return int(value)


def _bump() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # never read yet (or evicted): any new value will do
        cache.add(GENERATION_KEY, 1, timeout=None)


def priorities_changed() -> None:
    """Invalidate cached pages of the ranked list once this transaction commits."""
    transaction.on_commit(_bump)
