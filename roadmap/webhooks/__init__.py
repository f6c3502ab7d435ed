"""Outgoing webhooks: subscriptions, signed deliveries and the guard against SSRF.

- `subscriptions`: create, update, delete a subscription, rotate its secret,
  ping it, replay a delivery (services).
- `delivery`: the fan-out of `priority.changed` into delivery rows, one
  signed attempt at a delivery, retries over about three days (then the
  subscription is disabled) and the sweep that sends retries when due.
  Other events are written by the services themselves
  (roadmap.services.webhook_events), in the transaction of the change.
- `signing`: Standard Webhooks secrets (`whsec_`) and signatures.
- `transport`: the SSRF guard (`target_check`) and the POST to a checked
  address within a total deadline.

Imports go one way: subscriptions and delivery use transport; nothing here
imports roadmap.tasks. The tasks (deliver_priority_changed, deliver_webhook,
retry_due_webhook_deliveries) call delivery; delivery asks for a task only by
the `webhook.due` nudge (roadmap.services.nudges). Deliveries run on the
`webhooks` Celery queue, so the workers that rescore never wait for a receiver.
"""

from .delivery import (
    MAX_CHANGES_PER_DELIVERY,
    PRIORITY_CHANGED,
    USER_AGENT,
    AttemptOutcome,
    deliveries_retry_due,
    delivery_attempt,
    max_attempts,
    priority_changed_enqueue,
    retry_delay,
)
from .signing import secret_new, secret_problem, sign
from .subscriptions import (
    Rotation,
    webhook_delivery_replay,
    webhook_ping,
    webhook_secret_rotate,
    webhook_subscription_create,
    webhook_subscription_delete,
    webhook_subscription_update,
)
from .transport import DeliveryRefused, HttpResult, Target, target_check

__all__ = [
    "MAX_CHANGES_PER_DELIVERY",
    "PRIORITY_CHANGED",
    "USER_AGENT",
    "AttemptOutcome",
    "DeliveryRefused",
    "HttpResult",
    "Rotation",
    "Target",
    "deliveries_retry_due",
    "delivery_attempt",
    "max_attempts",
    "priority_changed_enqueue",
    "retry_delay",
    "secret_new",
    "secret_problem",
    "sign",
    "target_check",
    "webhook_delivery_replay",
    "webhook_ping",
    "webhook_secret_rotate",
    "webhook_subscription_create",
    "webhook_subscription_delete",
    "webhook_subscription_update",
]
