"""The asynchronous pipeline: thin Celery tasks that call services and start the next step.

Each task takes ids (or nothing), re-reads the database and is safe to repeat.
Services never import this module: a write that needs one of these tasks sends
a named nudge (roadmap.services.nudges), and the bottom of this module says
which task each name starts:

    a write marks initiatives  --rescore.requested-->  recompute_priorities
    a rescore moved priorities --priority.changed-->   deliver_priority_changed
    the fan-out queued a delivery  --webhook.due-->    deliver_webhook
    scored evidence arrived    --derived-metrics.due-->  recompute_derived_metrics
    periodic (beat): sweep_marked_initiatives, rescore_all_initiatives,
                     retry_due_webhook_deliveries (--webhook.due--> deliver_webhook),
                     recompute_derived_metrics (hourly: rolling windows move on),
                     recount_segment_evidence (the alignment page's segment counts),
                     sweep_evidence_documents (the inbox search's documents)
"""

import logging

from celery import shared_task
from django.conf import settings
from django.core.cache import cache

from roadmap import webhooks
from roadmap.services import initiatives_mark, initiatives_rescore_marked
from roadmap.services.derived_metrics import derived_metrics_compute, derived_run_started
from roadmap.services.evidence_search import documents_sweep
from roadmap.services.marks import NUDGE_KEY, rescore_took, sweep_heartbeat
from roadmap.services.nudges import (
    DERIVED_METRICS_DUE,
    PRIORITY_CHANGED,
    RESCORE_REQUESTED,
    WEBHOOK_DUE,
    nudge_handler,
)
from roadmap.services.segment_counts import segment_counts_refresh
from roadmap.services.vacuum import initiatives_vacuum

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def recompute_priorities() -> int:
    """Rescore every initiative marked `needs_rescore`. Idempotent."""
    # Clear the pending-nudge key before claiming: anything marked from now on
    # sends a new nudge; anything marked before is claimed by this run.
    cache.delete(NUDGE_KEY)
    result = initiatives_rescore_marked()
    if result.claimed:
        rescore_took(result.seconds)
        initiatives_vacuum()
    return result.claimed


@shared_task(acks_late=True, reject_on_worker_lost=True)
def sweep_marked_initiatives() -> int:
    """Periodic: finish what a lost nudge missed (the marks are in the database)."""
    sweep_heartbeat()
    result = initiatives_rescore_marked()
    if result.claimed:
        logger.info("sweep rescored %s initiatives a nudge had missed", result.claimed)
        initiatives_vacuum()
    return result.claimed


@shared_task(acks_late=True, reject_on_worker_lost=True)
def rescore_all_initiatives(reaggregate: bool = False) -> int:
    """Nightly: evidence decays with age, so every score moves a little.

    Decay is applied to each initiative's kept evidence sums (one factor, no
    evidence read). With `reaggregate` (weekly) the sums are forgotten and
    taken again from all the evidence: a check on everything the deltas did.
    """
    # One FullRescore row, committed first: if this worker dies the sweep
    # finds it. No nudge: this task rescores right away (a nudge ran a second,
    # empty run after it, or, eager, took its work so it reported 0).
    initiatives_mark(ids=None, trigger="schedule", forget_sums=reaggregate, nudge=False)
    claimed = initiatives_rescore_marked().claimed
    initiatives_vacuum()
    return claimed


@shared_task(acks_late=True, reject_on_worker_lost=True)
def deliver_priority_changed(snapshot_ids: list[int]) -> int:
    """Fan `priority.changed` out to webhook subscriptions (see roadmap.webhooks)."""
    return webhooks.priority_changed_enqueue(snapshot_ids=snapshot_ids)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def deliver_webhook(self, delivery_id: int) -> str:
    """Send one webhook delivery; retried on settings.WEBHOOK_RETRY_SCHEDULE (about 3 days).

    Safe to repeat: a delivery that already succeeded (or gave up) is not sent
    again. A short wait is a countdown retry; a long one is left to the sweep
    (retry_due_webhook_deliveries), which reads `next_attempt_at`. When tasks
    run eagerly (no broker: a laptop, the tests) there is no one to run a
    delayed retry, so the attempt is recorded and the row stays pending with
    its `next_attempt_at`, for the sweep.
    """
    outcome = webhooks.delivery_attempt(delivery_id=delivery_id)
    countdown_max = settings.WEBHOOK_RETRY_COUNTDOWN_MAX_SECONDS
    soon = outcome.retry_in is not None and outcome.retry_in <= countdown_max
    if soon and not self.request.is_eager:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(acks_late=True, reject_on_worker_lost=True)
def retry_due_webhook_deliveries() -> int:
    """Periodic: re-send webhook deliveries whose retry message was lost. Idempotent."""
    due = webhooks.deliveries_retry_due()
    if due:
        logger.info("re-enqueued %s webhook deliveries whose retry was overdue", len(due))
    return len(due)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def recount_segment_evidence() -> int:
    """Periodic: recount evidence per initiative and segment (alignment page). Idempotent."""
    return segment_counts_refresh()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def sweep_evidence_documents() -> int:
    """Periodic: add the search documents of new evidence, in sets. Idempotent."""
    return documents_sweep()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def recompute_derived_metrics() -> int:
    """Write today's reading of every derived NPS/CSAT metric from scored evidence.

    Idempotent (the day's reading is updated). Coalesced: the pending-nudge
    key is cleared first, so answers committed during the run nudge another.
    """
    derived_run_started()
    return derived_metrics_compute().written


def _derived_after(countdown: float) -> None:
    recompute_derived_metrics.apply_async(countdown=countdown)


def _rescore_after(countdown: float) -> None:
    recompute_priorities.apply_async(countdown=countdown)


# What services' named nudges start (see roadmap.services.nudges).
nudge_handler(RESCORE_REQUESTED)(_rescore_after)
nudge_handler(PRIORITY_CHANGED)(deliver_priority_changed.delay)
nudge_handler(WEBHOOK_DUE)(deliver_webhook.delay)
nudge_handler(DERIVED_METRICS_DUE)(_derived_after)
