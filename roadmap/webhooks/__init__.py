"""Outgoing webhooks: subscriptions, signed deliveries and the guard against SSRF.

- `subscriptions`: create, update and delete a subscription (services).
- `delivery`: the fan-out of `priority.changed` into delivery rows, one
  signed attempt at a delivery, retries with backoff and the sweep that
  re-sends retries whose message was lost.
- `transport`: the SSRF guard (`target_check`) and the POST to a checked
  address within a total deadline.

Imports go one way: subscriptions and delivery use transport; nothing here
imports roadmap.tasks. The tasks (deliver_priority_changed, deliver_webhook,
retry_due_webhook_deliveries) call delivery; delivery asks for a task only by
the `webhook.due` nudge (roadmap.services.nudges). Deliveries run on the
`webhooks` Celery queue, so the workers that rescore never wait for a receiver.
"""

from .delivery import (
    MAX_ATTEMPTS,
    MAX_CHANGES_PER_DELIVERY,
    PRIORITY_CHANGED,
    USER_AGENT,
    AttemptOutcome,
    deliveries_retry_due,
    delivery_attempt,
    priority_changed_enqueue,
    retry_delay,
    sign,
)
from .subscriptions import (
    webhook_subscription_create,
    webhook_subscription_delete,
    webhook_subscription_update,
)
from .transport import DeliveryRefused, HttpResult, Target, target_check

__all__ = [
    "MAX_ATTEMPTS",
    "MAX_CHANGES_PER_DELIVERY",
    "PRIORITY_CHANGED",
    "USER_AGENT",
    "AttemptOutcome",
    "DeliveryRefused",
    "HttpResult",
    "Target",
    "deliveries_retry_due",
    "delivery_attempt",
    "priority_changed_enqueue",
    "retry_delay",
    "sign",
    "target_check",
    "webhook_subscription_create",
    "webhook_subscription_delete",
    "webhook_subscription_update",
]
