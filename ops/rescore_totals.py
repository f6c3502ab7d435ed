"""The rescore's totals (runs, seconds, claimed and changed initiatives), summed from RecomputeRun.

Each run writes one RecomputeRun row at the end of its transaction, and rows
are never changed or deleted: the totals over all rows are the counters'
truth, the same whichever process reads them. Summing every row at every
scrape would grow with the table, so each process folds settled rows (older
than SETTLE_SECONDS: committed, with every lower id) into running totals
once, and each scrape adds only the rows since: one query for the new settled
rows, one for the recent ones. The first scrape of a process reads the whole
table once.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field, replace
from datetime import timedelta

from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from roadmap.models import RecomputeRun

SETTLE_SECONDS = 120
# Upper bounds of the duration histogram, in seconds.
BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, math.inf)


@dataclass(frozen=True)
class Totals:
    upto_id: int = 0
    runs: int = 0
    seconds: float = 0.0
    claimed: int = 0
    changed: int = 0
    buckets: tuple[int, ...] = field(default=(0,) * len(BUCKETS))  # cumulative counts

    def plus(self, other: Totals) -> Totals:
        return Totals(
            upto_id=max(self.upto_id, other.upto_id),
            runs=self.runs + other.runs,
            seconds=self.seconds + other.seconds,
            claimed=self.claimed + other.claimed,
            changed=self.changed + other.changed,
            buckets=tuple(a + b for a, b in zip(self.buckets, other.buckets, strict=True)),
        )


def _sum(rows) -> Totals:
    aggregates = {
        "upto": Max("id"),
        "runs": Count("id"),
        "ms": Sum("duration_ms"),
        "claimed": Sum("claimed"),
        "changed": Sum("changed"),
    }
    for i, bound in enumerate(BUCKETS[:-1]):
        aggregates[f"le{i}"] = Count("id", filter=Q(duration_ms__lte=bound * 1000))
    row = rows.aggregate(**aggregates)
    if not row["runs"]:
        return Totals()
    buckets = (*tuple(row[f"le{i}"] for i in range(len(BUCKETS) - 1)), row["runs"])
    return Totals(
        upto_id=row["upto"],
        runs=row["runs"],
        seconds=(row["ms"] or 0.0) / 1000,
        claimed=row["claimed"] or 0,
        changed=row["changed"] or 0,
        buckets=buckets,
    )


_lock = threading.Lock()
_settled = Totals()


def rescore_totals() -> Totals:
    """Every run so far. `upto_id` is the newest run's id."""
    global _settled
    cutoff = timezone.now() - timedelta(seconds=SETTLE_SECONDS)
    with _lock:
        newest_settled = (
            RecomputeRun.objects.filter(id__gt=_settled.upto_id, created_at__lt=cutoff)
            .order_by("-id")
            .values_list("id", flat=True)[:1]
        )
        newest_settled = list(newest_settled)
        if newest_settled:
            more = _sum(
                RecomputeRun.objects.filter(id__gt=_settled.upto_id, id__lte=newest_settled[0])
            )
            _settled = replace(_settled.plus(more), upto_id=newest_settled[0])
        settled = _settled
    recent = _sum(RecomputeRun.objects.filter(id__gt=settled.upto_id))
    return settled.plus(recent)


def forget() -> None:
    """Start again from the table (tests: each starts with an empty one)."""
    global _settled
    with _lock:
        _settled = Totals()
