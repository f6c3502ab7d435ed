"""Webhook subscriptions (services): create, update, delete, rotate the secret, ping, replay.

A URL is refused when it may not be called (transport.target_check: the SSRF
guard), and events must be known ones (all of them when none are named). The
URL is checked again before every delivery, pings and replays included, so a
name that later resolves somewhere refused is not sent to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from roadmap.models import WebhookDelivery, WebhookSubscription
from roadmap.services.nudges import WEBHOOK_DUE, nudge_on_commit
from roadmap.services.webhook_events import event_emit

from .signing import secret_new, secret_problem
from .transport import target_check


def _clean_secret(secret: str) -> str:
    problem = secret_problem(secret)
    if problem:
        raise ValidationError({"secret": problem})
    return secret


def _clean_events(events) -> list[str]:
    allowed = set(WebhookSubscription.Event.values)
    if events is None:
        return list(WebhookSubscription.Event.values)
    if not isinstance(events, list) or not events:
        raise ValidationError({"events": "Name at least one event."})
    unknown = [e for e in events if e not in allowed]
    if unknown:
        raise ValidationError({"events": f"Unknown event {unknown[0]!r}."})
    return list(dict.fromkeys(events))


@transaction.atomic
def webhook_subscription_create(
    *,
    actor,
    url: str,
    events: list[str] | None = None,
    secret: str | None = None,
    active: bool = True,
    description: str = "",
) -> WebhookSubscription:
    """Subscribe `url` to `events` (all when None); a `whsec_` secret is generated unless
    one is given."""
    try:
        target_check(url)
    except ValidationError as exc:
        raise ValidationError({"url": exc.messages}) from None
    subscription = WebhookSubscription(
        url=url,
        events=_clean_events(events),
        secret=_clean_secret(secret) if secret else secret_new(),
        active=active,
        description=description,
        created_by=actor,
    )
    subscription.full_clean()
    subscription.save()
    return subscription


@transaction.atomic
def webhook_subscription_update(
    *, actor, subscription: WebhookSubscription, data: dict
) -> WebhookSubscription:
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    unknown = set(data) - {"url", "events", "secret", "active", "description"}
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}")
    if "url" in data and data["url"] != subscription.url:
        try:
            target_check(data["url"])
        except ValidationError as exc:
            raise ValidationError({"url": exc.messages}) from None
    if "events" in data:
        data = {**data, "events": _clean_events(data["events"])}
    if data.get("secret"):
        _clean_secret(data["secret"])
    if data.get("active") and not subscription.active:
        # Turned on again: the page stops saying why it was turned off.
        data = {**data, "disabled_at": None, "disabled_reason": ""}
    for name, value in data.items():
        setattr(subscription, name, value)
    subscription.full_clean()
    subscription.save()
    return subscription


@transaction.atomic
def webhook_subscription_delete(*, actor, subscription: WebhookSubscription) -> None:
    """Delete a subscription with its delivery log, in a few statements however long the log.

    Django's cascade would load every delivery into Python first (the
    `replay_of` link is SET_NULL, so no fast delete): links into the log are
    cleared, then the log goes in one DELETE. A delivery task still running
    for it finds its delivery gone and stops (`delivery._record`).
    """
    WebhookDelivery.objects.filter(replay_of__subscription=subscription).update(replay_of=None)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {WebhookDelivery._meta.db_table} WHERE subscription_id = %s",  # noqa: S608
            [subscription.pk],
        )
    subscription.delete()


@dataclass(frozen=True)
class Rotation:
    subscription: WebhookSubscription
    secret: str  # the new secret: shown once
    previous_expires_at: datetime | None


@transaction.atomic
def webhook_secret_rotate(
    *, actor, subscription: WebhookSubscription, secret: str | None = None
) -> Rotation:
    """Give the subscription a new secret; the old one also signs for the overlap window.

    settings.WEBHOOK_SECRET_OVERLAP_HOURS (24 by default): during it every
    delivery carries both signatures, so a receiver can change its secret
    at any moment of the window without failing a delivery.
    """
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    new = _clean_secret(secret) if secret else secret_new()
    overlap = timedelta(hours=settings.WEBHOOK_SECRET_OVERLAP_HOURS)
    expires = timezone.now() + overlap if subscription.secret and overlap else None
    subscription.previous_secret = subscription.secret if expires else ""
    subscription.previous_secret_expires_at = expires
    subscription.secret = new
    subscription.save(
        update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"]
    )
    return Rotation(subscription, new, expires)


@transaction.atomic
def webhook_ping(*, actor, subscription: WebhookSubscription) -> WebhookDelivery:
    """Send a `webhook.ping` event now: one attempt, even to a disabled subscription."""
    data = {
        "subscription": subscription.pk,
        "url": subscription.url,
        "sent_by": getattr(actor, "username", None),
    }
    (delivery,) = event_emit(WebhookSubscription.PING, data, to=[subscription])
    return delivery


@transaction.atomic
def webhook_delivery_replay(*, actor, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery's message again, as a new delivery with the original's webhook-id.

    One attempt (no retries), even to a disabled subscription; the payload is
    the one first sent, signed with the subscription's current secret.
    """
    replay = WebhookDelivery.objects.create(
        subscription_id=delivery.subscription_id,
        event=delivery.event,
        payload=delivery.payload,
        next_attempt_at=timezone.now(),
        replay_of_id=delivery.replay_of_id or delivery.pk,
    )
    nudge_on_commit(WEBHOOK_DUE, replay.pk)
    return replay
