"""Webhook deliveries: the fan-out, one signed attempt, retries and the sweep of lost retries.

A rescore that moved priorities sends the `priority.changed` nudge; its task
calls `priority_changed_enqueue`, which writes one WebhookDelivery row per
active subscription and batch and sends a `webhook.due` nudge for each after
commit. The `deliver_webhook` task calls `delivery_attempt`: one attempt,
whose outcome is recorded on the row; the task retries with exponential
backoff (`retry_delay`), up to MAX_ATTEMPTS.

Retries survive a lost message: the row's `next_attempt_at` is the truth and
the Celery countdown only a nudge. The periodic `retry_due_webhook_deliveries`
task calls `deliveries_retry_due`, which re-enqueues pending deliveries overdue
by more than one sweep interval (a retry message lost with a killed worker or
a restarted Redis). A sending attempt holds the row's lock (PostgreSQL: FOR
UPDATE SKIP LOCKED), so two tasks for one delivery never send at the same
time, and a delivery that succeeded is never sent again. Delivery is at least
once: a worker killed after the receiver answered but before the outcome was
saved sends it again later, with the same `Priority-Webhook-Id`, which
receivers use to ignore repeats.

Signing: the body is signed with HMAC-SHA256 over `"{id}.{timestamp}.{body}"`
using the subscription's secret, sent as `Priority-Webhook-Signature: v1=<hex>`
with `Priority-Webhook-Id` and `Priority-Webhook-Timestamp`. A receiver checks
the signature and the timestamp's age, and ignores an id it has already seen.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from roadmap.models import ScoreSnapshot, WebhookDelivery, WebhookSubscription
from roadmap.services.nudges import WEBHOOK_DUE, nudge_on_commit

from .transport import DeliveryRefused, HttpResult, post

PRIORITY_CHANGED = WebhookSubscription.Event.PRIORITY_CHANGED.value
MAX_ATTEMPTS = 8
MAX_CHANGES_PER_DELIVERY = 1000
USER_AGENT = "Priority-Webhooks/1"


# --- Fan-out -----------------------------------------------------------------


def priority_changed_enqueue(*, snapshot_ids: list[int]) -> int:
    """Queue `priority.changed` for these snapshots; returns how many deliveries were queued.

    One delivery per active subscription per batch of up to 1,000 changed
    initiatives; each is sent by its own task once this transaction commits.
    """
    if not snapshot_ids:
        return 0
    subscriptions = [
        s for s in WebhookSubscription.objects.filter(active=True) if PRIORITY_CHANGED in s.events
    ]
    if not subscriptions:
        return 0
    changes = [
        {
            "id": s.initiative_id,
            "title": s.initiative.title,
            "priority_score": s.priority_score,
            "previous_priority_score": s.previous_priority_score,
            "rank": s.rank,
            "previous_rank": s.previous_rank,
            "causes": s.listed_causes,
        }
        for s in ScoreSnapshot.objects.filter(id__in=snapshot_ids)
        .select_related("initiative")
        .only(
            "initiative_id",
            "initiative__title",
            "priority_score",
            "previous_priority_score",
            "rank",
            "previous_rank",
            "causes",
        )
        .order_by("rank", "initiative_id")
    ]
    if not changes:
        return 0
    now = timezone.now()
    batch = f"{min(snapshot_ids)}-{max(snapshot_ids)}-{len(snapshot_ids)}"
    deliveries = []
    for start in range(0, len(changes), MAX_CHANGES_PER_DELIVERY):
        payload = {
            "event": PRIORITY_CHANGED,
            "occurred_at": now.isoformat(),
            "initiatives": changes[start : start + MAX_CHANGES_PER_DELIVERY],
        }
        deliveries.extend(
            WebhookDelivery(
                subscription=subscription,
                event=PRIORITY_CHANGED,
                payload=payload,
                next_attempt_at=now,
                batch_key=f"{batch}-{start}",
            )
            for subscription in subscriptions
        )
    with transaction.atomic():
        # Safe to run twice (acks_late redelivery): what is queued stays queued once.
        queued = set(
            WebhookDelivery.objects.filter(
                subscription__in=subscriptions, batch_key__in={d.batch_key for d in deliveries}
            ).values_list("subscription_id", "batch_key")
        )
        created = WebhookDelivery.objects.bulk_create(
            [d for d in deliveries if (d.subscription_id, d.batch_key) not in queued]
        )
        for delivery in created:
            nudge_on_commit(WEBHOOK_DUE, delivery.pk)
    return len(created)


# --- One attempt -------------------------------------------------------------


def sign(*, secret: str, delivery_id: str, timestamp: str, body: str) -> str:
    message = f"{delivery_id}.{timestamp}.{body}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class AttemptOutcome:
    delivery_id: int
    status: str
    attempts: int
    retry_in: int | None  # seconds until the next attempt; None when there is none


def retry_delay(attempts: int) -> float:
    """Exponential backoff: 2, 4, 8, ... seconds after the 1st, 2nd, 3rd ... attempt.

    The base (2 s) is settings.WEBHOOK_RETRY_BASE_SECONDS.
    """
    base = settings.WEBHOOK_RETRY_BASE_SECONDS
    delay = base * 2 ** (attempts - 1)
    return int(delay) if float(delay).is_integer() else delay


def delivery_attempt(*, delivery_id: int) -> AttemptOutcome:
    """Send one delivery once and record the outcome. A finished delivery is not sent again.

    The attempt holds the row's lock while it sends, so a second task for the
    same delivery (a redelivered message, a sweep's re-enqueue) skips it.
    """
    if not connection.features.has_select_for_update_skip_locked:
        # SQLite: one process, tasks run eagerly; a write lock over an HTTP call
        # would block every other writer, so no claim.
        delivery = (
            WebhookDelivery.objects.select_related("subscription").filter(pk=delivery_id).first()
        )
        return _attempt(delivery_id, delivery)
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("subscription")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None and WebhookDelivery.objects.filter(pk=delivery_id).exists():
            return AttemptOutcome(delivery_id, "in_flight", 0, None)
        return _attempt(delivery_id, delivery)


def _attempt(delivery_id: int, delivery: WebhookDelivery | None) -> AttemptOutcome:
    if delivery is None:
        return AttemptOutcome(delivery_id, "missing", 0, None)
    if delivery.status != WebhookDelivery.Status.PENDING:
        return AttemptOutcome(delivery.pk, delivery.status, delivery.attempts, None)
    subscription = delivery.subscription
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True)
    timestamp = str(int(time.time()))
    delivery_ref = str(delivery.pk)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Priority-Webhook-Id": delivery_ref,
        "Priority-Webhook-Event": delivery.event,
        "Priority-Webhook-Timestamp": timestamp,
        "Priority-Webhook-Signature": "v1="
        + sign(
            secret=subscription.secret, delivery_id=delivery_ref, timestamp=timestamp, body=body
        ),
    }
    refused = not subscription.active
    if refused:
        result = HttpResult(None, "The subscription is inactive.")
    else:
        try:
            result = post(subscription.url, body.encode(), headers)
        except DeliveryRefused as exc:
            refused = True
            result = HttpResult(None, str(exc))
    return _record(delivery.pk, result, give_up=refused)


@transaction.atomic
def _record(delivery_id: int, result: HttpResult, *, give_up: bool) -> AttemptOutcome:
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
    if delivery.status == WebhookDelivery.Status.SUCCEEDED:
        return AttemptOutcome(delivery.pk, delivery.status, delivery.attempts, None)
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_response_code = result.status
    delivery.last_error = result.error
    retry_in = None
    if result.status is not None and 200 <= result.status < 300:
        delivery.status = WebhookDelivery.Status.SUCCEEDED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
    elif give_up or delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = WebhookDelivery.Status.FAILED
        delivery.next_attempt_at = None
    else:
        delivery.status = WebhookDelivery.Status.PENDING
        retry_in = retry_delay(delivery.attempts)
        delivery.next_attempt_at = now + timedelta(seconds=retry_in)
    delivery.save()
    return AttemptOutcome(delivery.pk, delivery.status, delivery.attempts, retry_in)


# --- Redelivery of lost retries ------------------------------------------------


def deliveries_retry_due(*, limit: int = 500) -> list[int]:
    """Re-enqueue pending deliveries whose retry is overdue (its message was lost).

    Overdue means `next_attempt_at` passed more than one sweep interval ago: a
    retry whose message is alive is sent on time and moves it forward first.
    Each picked row's `next_attempt_at` moves a lease ahead in the same
    transaction, so the next sweep does not enqueue it again while its task is
    queued; rows an attempt is sending right now are locked and skipped.
    """
    interval = settings.WEBHOOK_RETRY_SWEEP_SECONDS
    now = timezone.now()
    lease = timedelta(seconds=max(60.0, 4 * interval))
    with transaction.atomic():
        due = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(
                status=WebhookDelivery.Status.PENDING,
                next_attempt_at__lte=now - timedelta(seconds=interval),
            )
            .order_by("next_attempt_at", "id")
            .values_list("id", flat=True)[:limit]
        )
        if due:
            WebhookDelivery.objects.filter(id__in=due).update(next_attempt_at=now + lease)
            for delivery_id in due:
                nudge_on_commit(WEBHOOK_DUE, delivery_id)
    return due
