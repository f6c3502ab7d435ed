"""Webhook subscriptions (services): create, update and delete, with their URL checked.

A URL is refused when it may not be called (transport.target_check: the SSRF
guard), and events must be known ones. The URL is checked again before every
delivery, so a name that later resolves somewhere refused is not sent to.
"""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import transaction

from roadmap.models import WebhookSubscription

from .transport import target_check


def _clean_events(events) -> list[str]:
    allowed = set(WebhookSubscription.Event.values)
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
    events: list[str],
    secret: str | None = None,
    active: bool = True,
    description: str = "",
) -> WebhookSubscription:
    """Subscribe `url` to `events`; a secret is generated unless one is given."""
    try:
        target_check(url)
    except ValidationError as exc:
        raise ValidationError({"url": exc.messages}) from None
    subscription = WebhookSubscription(
        url=url,
        events=_clean_events(events),
        secret=secret or secrets.token_urlsafe(32),
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
    for name, value in data.items():
        setattr(subscription, name, value)
    subscription.full_clean()
    subscription.save()
    return subscription


@transaction.atomic
def webhook_subscription_delete(*, actor, subscription: WebhookSubscription) -> None:
    subscription.delete()
