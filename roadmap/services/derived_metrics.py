"""Derived NPS and CSAT metrics: their readings computed from scored customer evidence.

A metric with `derived_kind` nps or csat (okrs.models.Metric) takes its value
from the evidence of its source (`nps` items scored 0-10, `survey` items
scored 1-5) received in the last `derived_window_days`, optionally only from
customers of the segment named `derived_segment`. The formula is okrs.derived's.

When it runs: an ingest (or a deletion) that touches scored evidence asks for
a run (`request_derived_metrics`), coalesced: while one nudge is pending no
other is sent, so a burst of batches makes one run, and a run computes one
reading per derived metric whatever the number of new answers. The beat also
runs it hourly, so a rolling window moves on without new answers and a lost
nudge is caught up.

What it writes: one reading per metric per UTC day, external id
`derived:<day>`, observed now; a later run the same day updates that reading
(okrs.services.metric_readings_ingest, the same service integrations push
through, which moves the key results tracking the metric and marks the
initiatives aligned to them). Evidence is itself idempotent by external_id,
so re-sent answers are counted once. A window without answers writes nothing.
Answers that arrive late (an old `received_at`) count in today's window if
they fall inside it; past days' readings stand unless `derived_metric_backfill`
recomputes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from okrs import derived
from okrs.models import Metric
from okrs.services import metric_readings_ingest
from roadmap.models import Evidence

from .nudges import DERIVED_METRICS_DUE, nudge_now

NUDGE_KEY = "roadmap:derived-metrics-nudge-pending"
NUDGE_TTL_SECONDS = 60
READING_SOURCE = "derived from evidence"


def answer_counts(metric: Metric, *, end: datetime) -> derived.AnswerCounts:
    """Count the metric's scored answers in the window ending at `end`: one query."""
    kind = metric.derived_kind
    qs = Evidence.objects.filter(
        source=derived.SOURCE[kind],
        score__isnull=False,
        dismissed_reason="",
        received_at__gt=end - timedelta(days=metric.derived_window_days),
        received_at__lte=end,
    )
    if metric.derived_segment:
        qs = qs.filter(customer__segment__name=metric.derived_segment)
    if kind == derived.NPS:
        high, low = Q(score__gte=derived.PROMOTER_MIN), Q(score__lte=derived.DETRACTOR_MAX)
    else:
        high, low = Q(score__gte=derived.SATISFIED_MIN), Q(pk__in=[])
    row = qs.aggregate(
        total=Count("id"), high=Count("id", filter=high), low=Count("id", filter=low)
    )
    return derived.AnswerCounts(total=row["total"], high=row["high"], low=row["low"])


def _reading(metric: Metric, end: datetime) -> dict | None:
    value = derived.derived_value(metric.derived_kind, answer_counts(metric, end=end))
    if value is None:
        return None
    day = end.astimezone(UTC).date()
    return {
        "value": value,
        "observed_at": end,
        "source": READING_SOURCE,
        "external_id": f"derived:{day.isoformat()}",
    }


@dataclass(frozen=True)
class DerivedRun:
    metrics: int  # derived metrics looked at
    written: int  # readings written (metrics with answers in their window)


def derived_metrics_compute(*, now: datetime | None = None) -> DerivedRun:
    """Write today's reading of every derived metric (one query per metric, then the
    readings service per metric that has answers). Safe to run twice: the same day's
    reading is updated."""
    now = now or timezone.now()
    metrics = list(Metric.objects.exclude(derived_kind="").order_by("id"))
    written = 0
    for metric in metrics:
        with transaction.atomic():
            reading = _reading(metric, now)
            if reading is not None:
                metric_readings_ingest(actor=None, metric=metric, items=[reading])
                written += 1
    return DerivedRun(metrics=len(metrics), written=written)


def derived_metric_backfill(*, metric: Metric, days: int, now: datetime | None = None) -> int:
    """Compute a derived metric's daily readings for the last `days` days (its history
    before it was defined, or after evidence was corrected). Returns readings written."""
    now = now or timezone.now()
    items = []
    for back in range(days, 0, -1):
        end = now - timedelta(days=back)
        reading = _reading(metric, end)
        if reading is not None:
            items.append(reading)
    if items:
        metric_readings_ingest(actor=None, metric=metric, items=items)
    return len(items)


def _send_nudge() -> None:
    # Coalesce: one pending nudge at a time; the task clears the key as it
    # starts, so evidence committed after that sends a fresh one.
    if cache.add(NUDGE_KEY, 1, NUDGE_TTL_SECONDS):
        nudge_now(DERIVED_METRICS_DUE, settings.RESCORE_DEBOUNCE_SECONDS)


def request_derived_metrics() -> None:
    """Ask for a derived-metrics run once this transaction commits.

    Cheap to call more than once: after commit, the pending-nudge key lets
    one nudge through until the run starts.
    """
    transaction.on_commit(_send_nudge)


def derived_run_started() -> None:
    """Called by the task as it starts: commits from now on send a new nudge."""
    cache.delete(NUDGE_KEY)
