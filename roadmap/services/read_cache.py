"""A generation number for the ranked list, so its pages can be cached safely.

Every write that changes what the ranked list shows bumps the generation after
it commits; a cached page is stored under the generation read *before* its
query ran, so a page built from old data can only ever sit under an old key.
"""

from __future__ import annotations

import secrets

from django.core.cache import cache
from django.db import transaction

GENERATION_KEY = "roadmap:priorities-generation"


def _fresh_generation() -> int:
    """A start that no earlier generation used (but with odds of one in ~2**62).

    A cache that evicts (allkeys-lru) may drop the generation key while pages
    cached under it live on; restarting at 1, or at the clock, could meet a
    number those pages were stored under and make them current again.
    """
    return secrets.randbits(62)


def priorities_generation() -> int:
    value = cache.get(GENERATION_KEY)
    if value is None:
        cache.add(GENERATION_KEY, _fresh_generation(), timeout=None)
        value = cache.get(GENERATION_KEY) or _fresh_generation()
    return int(value)


def _bump() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # never read yet (or evicted): a number no earlier one used
        cache.add(GENERATION_KEY, _fresh_generation(), timeout=None)


def priorities_changed() -> None:
    """Invalidate cached pages of the ranked list once this transaction commits."""
    transaction.on_commit(_bump)
