"""Webhook events: written as delivery rows in the transaction of the change they report.

A service that changes something subscribers hear about calls `event_emit`
inside its transaction. It reads the active subscriptions (one small query),
and only when one listens to the event builds the payload
`{type, timestamp, data}` and inserts one WebhookDelivery per such
subscription (one INSERT), then asks for each to be sent once the
transaction commits (the `webhook.due` nudge). The change and its deliveries
commit or roll back together: a rolled-back write sends nothing, and a lost
nudge is found by the retry sweep (roadmap.webhooks.delivery), because the
row is pending and due.

Batches: a batch of evidence is one `evidence.created` event whose data lists
the items (up to 1,000, the batch limit), as GitHub's `push` lists its
commits; one event per item would make a 1,000-item batch 1,000 deliveries
to every subscriber (Stripe sends one event per object, but has no batch
ingest). `priority.changed` lists the initiatives a rescore moved, in chunks
of MAX_ITEMS_PER_EVENT.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.utils import timezone

from okrs.models import KeyResult, Objective
from roadmap.models import Initiative, WebhookDelivery, WebhookSubscription

from .nudges import WEBHOOK_DUE, nudge_on_commit

Event = WebhookSubscription.Event
MAX_ITEMS_PER_EVENT = 1000


def subscribers(event_type: str) -> list[WebhookSubscription]:
    """Active subscriptions that listen to `event_type`."""
    return [
        s
        for s in WebhookSubscription.objects.filter(active=True).only("id", "events")
        if event_type in s.events
    ]


def event_payload(event_type: str, data: dict) -> dict:
    return {"type": event_type, "timestamp": timezone.now().isoformat(), "data": data}


def event_emit(
    event_type: str,
    data: Callable[[], dict] | dict,
    *,
    to: Iterable[WebhookSubscription] | None = None,
    batch_key: str = "",
) -> list[WebhookDelivery]:
    """Queue one event for every subscription that listens to it (or those in `to`).

    `data` may be a function: it is only called when someone listens. With a
    `batch_key`, a subscription that already has a delivery of that key gets
    no second one (a task that runs twice queues its deliveries once).
    """
    targets = list(to) if to is not None else subscribers(event_type)
    if not targets:
        return []
    payload = event_payload(event_type, data() if callable(data) else data)
    now = timezone.now()
    if batch_key:
        queued = set(
            WebhookDelivery.objects.filter(
                subscription__in=targets, batch_key=batch_key
            ).values_list("subscription_id", flat=True)
        )
        targets = [s for s in targets if s.pk not in queued]
    created = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            subscription=subscription,
            event=event_type,
            payload=payload,
            next_attempt_at=now,
            batch_key=batch_key,
        )
        for subscription in targets
    )
    for delivery in created:
        nudge_on_commit(WEBHOOK_DUE, delivery.pk)
    return created


# --- What each event's data holds ------------------------------------------------


def initiative_data(initiative: Initiative) -> dict:
    return {
        "id": initiative.pk,
        "external_id": initiative.external_id,
        "title": initiative.title,
        "status": initiative.status,
        "lane": initiative.lane,
        "target_quarter": initiative.target_quarter,
        "team": initiative.team,
        "owner": initiative.owner_id,
        "reach": initiative.reach,
        "impact": initiative.impact,
        "confidence": initiative.confidence,
        "effort": initiative.effort,
        "reach_source": initiative.reach_source,
        "version": initiative.version,
    }


def initiative_event(event_type: str, initiative: Initiative, **extra) -> None:
    event_emit(event_type, lambda: {**initiative_data(initiative), **extra})


def evidence_created(rows: list[dict]) -> None:
    """One `evidence.created` per batch: `data.evidence` lists the new items."""
    if not rows:
        return

    def data() -> dict:
        return {
            "evidence": [
                {
                    "id": row["id"],
                    "external_id": row["external_id"],
                    "source": row["source"],
                    "importance": row["importance"],
                    "received_at": row["received_at"].isoformat(),
                    "score": row["score"],
                    "initiative": row["initiative_id"],
                    "customer": row["customer_id"],
                }
                for row in rows
            ]
        }

    event_emit(Event.EVIDENCE_CREATED, data)


def key_result_data(kr: KeyResult) -> dict:
    return {
        "id": kr.pk,
        "objective": kr.objective_id,
        "title": kr.title,
        "metric": kr.metric_id,
        "kind": kr.kind,
        "start": kr.start,
        "target": kr.target,
        "current": kr.current,
        "unit": kr.unit,
        "weight": kr.weight,
        "confidence": kr.confidence,
        "progress": kr.progress,
    }


def objective_data(objective: Objective) -> dict:
    return {
        "id": objective.pk,
        "title": objective.title,
        "period": objective.period,
        "parent": objective.parent_id,
        "team": objective.team,
        "owner": objective.owner_id,
        "weight": objective.weight,
        "status": objective.status,
        "progress": objective.progress,
    }


def goals_changed(event_type: str, ids: list[int]) -> None:
    """okrs tells (okrs.services.on_goals_changed): these objectives or key results changed.

    One event per object: a reading moves the few key results that track its
    metric, an edit one object.
    """
    targets = subscribers(event_type) if ids else []
    if not targets:
        return
    if event_type == Event.KEY_RESULT_UPDATED:
        for kr in KeyResult.objects.filter(pk__in=ids).order_by("id"):
            event_emit(event_type, key_result_data(kr), to=targets)
    elif event_type == Event.OBJECTIVE_UPDATED:
        for objective in Objective.objects.filter(pk__in=ids).order_by("id"):
            event_emit(event_type, objective_data(objective), to=targets)
    else:
        raise ValueError(f"Not a goal event: {event_type!r}")
