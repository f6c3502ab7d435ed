"""Webhook deliveries: the priority.changed fan-out, one signed attempt, retries, the sweep.

Events are written as pending WebhookDelivery rows in the transaction of the
change (roadmap.services.webhook_events); a rescore that moved priorities
sends the `priority.changed` nudge, whose task calls `priority_changed_enqueue`.
Each row is sent by the `deliver_webhook` task (the `webhook.due` nudge),
which calls `delivery_attempt`: one attempt, whose outcome is recorded on the
row.

Retries follow settings.WEBHOOK_RETRY_SCHEDULE (Svix's: 5 s, 5 min, 30 min,
2 h, 5 h, then 10 h six times: about 2.8 days over 12 attempts), each wait
spread by ±WEBHOOK_RETRY_JITTER so that the deliveries held up by one outage
do not all arrive together when it ends. The row's `next_attempt_at` is the
truth: a short wait is a Celery countdown, a long one (past
WEBHOOK_RETRY_COUNTDOWN_MAX_SECONDS, below the broker's visibility timeout)
is left to the periodic sweep (`deliveries_retry_due`), which also re-enqueues
retries whose message was lost with a worker or a restarted Redis. When the
last attempt fails the subscription is disabled (`disabled_at`, shown on the
webhooks page) until someone turns it on again.

A sending attempt holds the row's lock (PostgreSQL: FOR UPDATE SKIP LOCKED),
so two tasks for one delivery never send at the same time, and a delivery
that succeeded is never sent again. Delivery is at least once: a worker
killed after the receiver answered but before the outcome was saved sends it
again later with the same `webhook-id`, which receivers use to ignore repeats.

Signing follows Standard Webhooks (see signing.py): `webhook-id`,
`webhook-timestamp`, `webhook-signature: v1,<base64>`, with a second
signature while a rotated-out secret is still valid. Pings and replays
(subscriptions.py) are one attempt each, sent even to a disabled subscription
(that is how one checks a receiver is back), and never disable it.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from roadmap.models import ScoreSnapshot, WebhookDelivery, WebhookSubscription
from roadmap.services.nudges import WEBHOOK_DUE, nudge_on_commit
from roadmap.services.webhook_events import MAX_ITEMS_PER_EVENT, event_emit, subscribers

from .signing import signature_header
from .transport import DeliveryRefused, HttpResult, post

PRIORITY_CHANGED = WebhookSubscription.Event.PRIORITY_CHANGED.value
MAX_CHANGES_PER_DELIVERY = MAX_ITEMS_PER_EVENT
USER_AGENT = "Priority-Webhooks/2"


# --- Fan-out -----------------------------------------------------------------


def priority_changed_enqueue(*, snapshot_ids: list[int]) -> int:
    """Queue `priority.changed` for these snapshots; returns how many deliveries were queued.

    One delivery per listening subscription per chunk of up to 1,000 changed
    initiatives (`data.initiatives`, each with the causes of its move); each
    is sent by its own task once this transaction commits.
    """
    if not snapshot_ids:
        return 0
    targets = subscribers(PRIORITY_CHANGED)
    if not targets:
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
    batch = f"{min(snapshot_ids)}-{max(snapshot_ids)}-{len(snapshot_ids)}"
    queued = 0
    with transaction.atomic():
        # Safe to run twice (acks_late redelivery): what is queued stays queued once.
        for start in range(0, len(changes), MAX_CHANGES_PER_DELIVERY):
            chunk = changes[start : start + MAX_CHANGES_PER_DELIVERY]
            queued += len(
                event_emit(
                    PRIORITY_CHANGED,
                    {"initiatives": chunk},
                    to=targets,
                    batch_key=f"{batch}-{start}",
                )
            )
    return queued


# --- One attempt -------------------------------------------------------------


@dataclass(frozen=True)
class AttemptOutcome:
    delivery_id: int
    status: str
    attempts: int
    retry_in: float | None  # seconds until the next attempt; None when there is none


def max_attempts() -> int:
    return len(settings.WEBHOOK_RETRY_SCHEDULE) + 1


def retry_delay(attempts: int) -> float:
    """Seconds to wait after the `attempts`-th failed attempt: the schedule's step, jittered."""
    schedule = settings.WEBHOOK_RETRY_SCHEDULE
    base = float(schedule[min(attempts, len(schedule)) - 1])
    jitter = settings.WEBHOOK_RETRY_JITTER
    return round(base * random.uniform(1 - jitter, 1 + jitter), 3)  # noqa: S311 (not crypto)


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


def signing_secrets(subscription: WebhookSubscription) -> list[str]:
    """The current secret, then the rotated-out one while its overlap lasts."""
    found = [subscription.secret]
    expires = subscription.previous_secret_expires_at
    if subscription.previous_secret and expires is not None and expires > timezone.now():
        found.append(subscription.previous_secret)
    return found


def delivery_headers(delivery: WebhookDelivery, body: str) -> dict[str, str]:
    timestamp = int(time.time())
    msg_id = delivery.message_id
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(
            secrets_=signing_secrets(delivery.subscription),
            msg_id=msg_id,
            timestamp=timestamp,
            body=body,
        ),
    }


def _attempt(delivery_id: int, delivery: WebhookDelivery | None) -> AttemptOutcome:
    if delivery is None:
        return AttemptOutcome(delivery_id, "missing", 0, None)
    if delivery.status != WebhookDelivery.Status.PENDING:
        return AttemptOutcome(delivery.pk, delivery.status, delivery.attempts, None)
    subscription = delivery.subscription
    refused = not subscription.active and not delivery.manual
    if refused:
        result = HttpResult(None, "The subscription is disabled.")
    elif not subscription.secret:
        refused = True
        result = HttpResult(None, "The subscription has no signing secret: rotate it.")
    else:
        body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True)
        try:
            result = post(subscription.url, body.encode(), delivery_headers(delivery, body))
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
    delivery.last_attempt_at = now
    delivery.last_response_code = result.status
    delivery.last_error = result.error
    retry_in = None
    if result.status is not None and 200 <= result.status < 300:
        delivery.status = WebhookDelivery.Status.SUCCEEDED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
    elif give_up or delivery.manual or delivery.attempts >= max_attempts():
        delivery.status = WebhookDelivery.Status.FAILED
        delivery.next_attempt_at = None
        if not give_up and not delivery.manual:
            _disable(delivery, now)
    else:
        delivery.status = WebhookDelivery.Status.PENDING
        retry_in = retry_delay(delivery.attempts)
        delivery.next_attempt_at = now + timedelta(seconds=retry_in)
    delivery.save()
    return AttemptOutcome(delivery.pk, delivery.status, delivery.attempts, retry_in)


def _disable(delivery: WebhookDelivery, now) -> None:
    """The last retry failed: turn the subscription off until someone turns it on again."""
    what = f"HTTP {delivery.last_response_code}" if delivery.last_response_code else "no answer"
    reason = (
        f"Disabled after delivery {delivery.pk} ({delivery.event}) failed {delivery.attempts}"
        f" times since {delivery.created_at:%Y-%m-%d %H:%M} UTC; last: {what}"
        f" {delivery.last_error}"
    )[:600]
    WebhookSubscription.objects.filter(pk=delivery.subscription_id, active=True).update(
        active=False, disabled_at=now, disabled_reason=reason.strip()
    )


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
