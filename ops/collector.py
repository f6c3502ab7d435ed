"""The numbers read at scrape time (see ops.metrics for why these are not counted in memory)."""

from __future__ import annotations

import logging

from django.db import connection
from django.db.models import Max
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
from prometheus_client.registry import Collector

from roadmap.models import Evidence, RecomputeRun, ScoreQuarantine, WebhookDelivery

from . import backlog, counters, heartbeats
from .rescore_totals import BUCKETS, rescore_totals

logger = logging.getLogger(__name__)


def _version() -> str:
    try:
        from config.version import __version__
    except ImportError:  # pragma: no cover - the version module is the packaging's
        return "unknown"
    return __version__


def evidence_ingested() -> int:
    """New evidence items ever stored: the evidence table's id sequence (never goes down).

    Re-sent items (a repeated external_id) update their row and are not
    counted; ids taken by a batch that failed on a collision are.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_sequence_last_value(pg_get_serial_sequence(%s, 'id'))",
                [Evidence._meta.db_table],
            )
            value = cursor.fetchone()[0]
        return int(value or 0)
    return Evidence.objects.aggregate(m=Max("id"))["m"] or 0


class StateCollector(Collector):
    """Each part read on its own: one that fails (the database is down) is left out, and
    `priority_scrape_errors` says which, so the request metrics still reach Prometheus."""

    def collect(self):
        errors = GaugeMetricFamily(
            "priority_scrape_errors",
            "1 for each part of this scrape that could not be read (its series are missing).",
            labels=["part", "error"],
        )
        for part in (self._rescore, self._backlog, self._ingest_and_webhooks, self._processes):
            try:
                families = list(part())
            except Exception as exc:  # the scrape goes on without this part
                logger.warning("metrics: %s failed: %s", part.__name__, type(exc).__name__)
                errors.add_metric([part.__name__.strip("_"), type(exc).__name__], 1)
                continue
            yield from families
        yield errors
        info = GaugeMetricFamily(
            "priority_build_info", "The running release (value is always 1).", labels=["version"]
        )
        info.add_metric([_version()], 1)
        yield info

    def _rescore(self):
        totals = rescore_totals()
        yield CounterMetricFamily(
            "priority_rescore_runs", "Rescore runs finished (RecomputeRun rows).", totals.runs
        )
        yield CounterMetricFamily(
            "priority_rescore_claimed_initiatives",
            "Initiatives claimed by rescore runs, summed over runs.",
            totals.claimed,
        )
        yield CounterMetricFamily(
            "priority_rescore_changed_initiatives",
            "Initiatives whose stored score or rank a rescore run changed, summed over runs.",
            totals.changed,
        )
        histogram = HistogramMetricFamily(
            "priority_rescore_duration_seconds", "How long each rescore run took."
        )
        histogram.add_metric(
            [],
            [(_le(bound), count) for bound, count in zip(BUCKETS, totals.buckets, strict=True)],
            totals.seconds,
        )
        yield histogram
        last = (
            RecomputeRun.objects.order_by("-id")
            .values("claimed", "changed", "duration_ms", "created_at")
            .first()
        )
        for name, doc, value in (
            ("claimed", "Initiatives the last rescore run claimed.", "claimed"),
            ("changed", "Initiatives the last rescore run changed.", "changed"),
        ):
            yield GaugeMetricFamily(
                f"priority_rescore_last_run_{name}", doc, last[value] if last else 0
            )
        yield GaugeMetricFamily(
            "priority_rescore_last_run_duration_seconds",
            "How long the last rescore run took.",
            last["duration_ms"] / 1000 if last else 0,
        )
        if last:
            yield GaugeMetricFamily(
                "priority_rescore_last_run_timestamp_seconds",
                "When the last rescore run wrote its row (Unix time).",
                last["created_at"].timestamp(),
            )

    def _backlog(self):
        count = GaugeMetricFamily(
            "priority_pending_work",
            "Unscored work waiting: evidence to fold in, full rescores asked for, marks.",
            labels=["kind"],
        )
        age = GaugeMetricFamily(
            "priority_pending_work_oldest_seconds",
            "Age of the oldest unscored work of each kind (0 when none waits); see ops.backlog.",
            labels=["kind"],
        )
        for waiting in backlog.waiting():
            count.add_metric([waiting.kind], waiting.count)
            age.add_metric([waiting.kind], waiting.oldest_seconds or 0.0)
        yield count
        yield age
        yield GaugeMetricFamily(
            "priority_quarantined_initiatives",
            "Initiatives the rescore could not score (their errors are on the Priorities page).",
            ScoreQuarantine.objects.count(),
        )

    def _ingest_and_webhooks(self):
        yield CounterMetricFamily(
            "priority_evidence_ingested",
            "New evidence items stored (rate() gives items per second).",
            evidence_ingested(),
        )
        attempts = CounterMetricFamily(
            "priority_webhook_attempts",
            "Webhook delivery attempts by outcome: succeeded; retry (failed, will retry);"
            " failed (gave up); skipped (already sent, in flight or gone); error (the task"
            " raised).",
            labels=["outcome"],
        )
        for outcome, value in counters.totals("webhook", counters.WEBHOOK_OUTCOMES).items():
            attempts.add_metric([outcome], value)
        yield attempts
        yield GaugeMetricFamily(
            "priority_webhook_deliveries_pending",
            "Webhook deliveries not yet delivered nor given up.",
            WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING).count(),
        )

    def _processes(self):
        queues = heartbeats.queue_lengths()
        if queues is not None:
            length = GaugeMetricFamily(
                "priority_celery_queue_length",
                "Messages waiting in each Celery queue (read from the broker).",
                labels=["queue"],
            )
            for queue, value in queues.items():
                length.add_metric([queue], value)
            yield length
        worker = GaugeMetricFamily(
            "priority_worker_heartbeat_age_seconds",
            "Seconds since a worker consuming each queue last wrote its heartbeat.",
            labels=["queue"],
        )
        for queue, age in heartbeats.worker_ages().items():
            if age is not None:
                worker.add_metric([queue], age)
        yield worker
        sweep = heartbeats.sweep_age()
        if sweep is not None:
            yield GaugeMetricFamily(
                "priority_sweep_age_seconds",
                "Seconds since the periodic sweep (sent by beat) last ran on a worker.",
                sweep,
            )


def _le(bound: float) -> str:
    return "+Inf" if bound == float("inf") else repr(bound)
