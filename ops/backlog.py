"""The priorities' staleness: how much scoring work waits, and how old the oldest is.

Three kinds of unscored work, each aged as honestly as its rows allow:

- `evidence`: new evidence not yet folded in (PendingEvidence). Its age is
  the created_at of the first evidence at or after the lowest pending id (ids
  follow creation): exact, two index reads.
- `full_rescore`: full runs asked for (FullRescore rows): exact, created_at.
- `mark`: initiatives marked `needs_rescore`. A mark has no timestamp, so its
  age is how long it has been *seen* unscored: each read samples the marked
  (id, mark_version, created_at) of the lowest ids and remembers, in the shared
  cache, when it first saw each. A mark that is scored and set again has a
  new mark_version, so a busy initiative does not look stale. The age is a
  lower bound, accurate to the interval between reads (/readyz probes and
  /metrics scrapes), and starts at zero after the cache loses the key; a
  dead worker still shows within one threshold plus one probe interval,
  and pending evidence (most of the work) is aged exactly.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count, Min
from django.utils import timezone

from roadmap.models import Evidence, FullRescore, Initiative, PendingEvidence

MARKS_SEEN_KEY = "ops:marks-first-seen"
MARKS_SAMPLED = 20
MARKS_SEEN_TTL = 24 * 3600


@dataclass(frozen=True)
class Waiting:
    kind: str
    count: int
    oldest_seconds: float | None


def _seconds_since(moment) -> float:
    return max(0.0, (timezone.now() - moment).total_seconds())


def pending_evidence() -> Waiting:
    first = PendingEvidence.objects.order_by("evidence_id").values_list("evidence_id", flat=True)[
        :1
    ]
    first = list(first)
    if not first:
        return Waiting("evidence", 0, None)
    created = (
        Evidence.objects.filter(pk__gte=first[0])
        .order_by("pk")
        .values_list("created_at", flat=True)[:1]
    )
    created = list(created)
    oldest = _seconds_since(created[0]) if created else None
    return Waiting("evidence", PendingEvidence.objects.count(), oldest)


def full_rescores() -> Waiting:
    row = FullRescore.objects.aggregate(n=Count("id"), oldest=Min("created_at"))
    oldest = _seconds_since(row["oldest"]) if row["oldest"] else None
    return Waiting("full_rescore", row["n"], oldest)


def marks() -> Waiting:
    marked = Initiative.objects.filter(needs_rescore=True)
    sample = marked.order_by("id").values_list("id", "mark_version", "created_at")
    # created_at too: an id used again (SQLite after a rollback, a restored dump)
    # is another initiative, not an old mark.
    marks = [
        f"{pk}:{version}:{created.timestamp()}" for pk, version, created in sample[:MARKS_SAMPLED]
    ]
    if not marks:
        cache.delete(MARKS_SEEN_KEY)
        return Waiting("mark", 0, None)
    now = time.time()
    seen = cache.get(MARKS_SEEN_KEY) or {}
    current = {mark: seen.get(mark, now) for mark in marks}
    cache.set(MARKS_SEEN_KEY, current, MARKS_SEEN_TTL)
    count = len(marks) if len(marks) < MARKS_SAMPLED else marked.count()
    return Waiting("mark", count, max(0.0, now - min(current.values())))


def waiting() -> list[Waiting]:
    return [pending_evidence(), full_rescores(), marks()]
