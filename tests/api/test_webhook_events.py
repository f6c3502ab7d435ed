"""Which changes make which webhook events, what each carries, and what a batch costs."""

import functools

import pytest

from okrs import services as okr_services
from roadmap import services
from roadmap.models import WebhookDelivery, WebhookSubscription
from roadmap.services import webhook_events
from tests.api.webhook_support import subscription_for, verified
from tests.factories import (
    InitiativeFactory,
    KeyResultFactory,
    MetricFactory,
    ObjectiveFactory,
)

pytestmark = pytest.mark.django_db

ALL_EVENTS = [
    "priority.changed",
    "initiative.created",
    "initiative.updated",
    "initiative.deleted",
    "evidence.created",
    "key_result.updated",
    "objective.updated",
]
URL = "https://93.184.215.14/hook"


def _events(subscription) -> list[str]:
    return list(
        WebhookDelivery.objects.filter(subscription=subscription)
        .order_by("id")
        .values_list("event", flat=True)
    )


def _due(callbacks) -> list[int]:
    """The deliveries whose sending was asked for after commit."""
    return [
        c.args[1]
        for c in callbacks
        if isinstance(c, functools.partial) and c.args[:1] == ("webhook.due",)
    ]


def _payload(subscription, event):
    return WebhookDelivery.objects.get(subscription=subscription, event=event).payload


def test_a_subscription_without_events_named_gets_all_of_them(product):
    created = product.post("/api/v1/webhooks/", {"url": URL}, format="json").json()

    assert created["events"] == ALL_EVENTS


def test_initiative_created_updated_deleted_reach_only_those_who_listen(
    django_capture_on_commit_callbacks,
):
    listening = subscription_for(
        URL, events=["initiative.created", "initiative.updated", "initiative.deleted"]
    )
    deaf = subscription_for(URL, events=["evidence.created"])
    off = subscription_for(URL, events=ALL_EVENTS, active=False)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        initiative = services.initiative_create(actor=None, title="SSO", reach=10)
        initiative = services.initiative_update(
            actor=None, initiative=initiative, data={"title": "SAML SSO", "reach": 20}
        )
        initiative_id = initiative.pk
        services.initiative_delete(actor=None, initiative=initiative)

    assert _events(listening) == ["initiative.created", "initiative.updated", "initiative.deleted"]
    assert _events(deaf) == _events(off) == []
    # Each delivery is sent after commit.
    assert _due(callbacks) == list(
        WebhookDelivery.objects.order_by("id").values_list("id", flat=True)
    )
    created = _payload(listening, "initiative.created")
    assert set(created) == {"type", "timestamp", "data"}
    assert created["type"] == "initiative.created"
    assert created["data"]["title"] == "SSO"
    updated = _payload(listening, "initiative.updated")["data"]
    assert (updated["title"], updated["reach"], updated["changed"]) == (
        "SAML SSO",
        20,
        ["reach", "title"],
    )
    assert updated["version"] == initiative.version
    deleted = _payload(listening, "initiative.deleted")["data"]
    assert (deleted["id"], deleted["title"]) == (initiative_id, "SAML SSO")


def test_an_edit_that_rolls_back_sends_nothing():
    subscription = subscription_for(URL, events=["initiative.updated"])
    initiative = InitiativeFactory(title="SSO")

    with pytest.raises(Exception, match="Reach is derived"):
        services.initiative_update(
            actor=None, initiative=initiative, data={"reach_source": "evidence", "reach": 5}
        )

    assert _events(subscription) == []


def test_a_batch_of_1000_evidence_items_is_one_event_per_subscriber(
    django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    first = subscription_for(URL, events=["evidence.created"])
    second = subscription_for(URL, events=ALL_EVENTS)
    subscription_for(URL, events=["priority.changed"])
    items = [
        {"source": "support", "text": f"Wants SSO {n}", "external_id": f"t-{n}"}
        for n in range(1000)
    ]

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = services.evidence_ingest(actor=None, items=items)

    assert result.created == 1000
    assert WebhookDelivery.objects.filter(event="evidence.created").count() == 2
    assert len(_due(callbacks)) == 2
    for subscription in (first, second):
        data = _payload(subscription, "evidence.created")["data"]
        assert [e["external_id"] for e in data["evidence"]] == [f"t-{n}" for n in range(1000)]
        assert [e["id"] for e in data["evidence"]] == [e.pk for e in result.evidence]
    # A retried batch updates the items: nothing is created, no event.
    with django_capture_on_commit_callbacks(execute=False):
        services.evidence_ingest(actor=None, items=items[:10])
    assert WebhookDelivery.objects.filter(event="evidence.created").count() == 2


def test_evidence_with_nobody_listening_costs_one_query_and_writes_no_delivery(
    django_assert_num_queries,
):
    subscription_for(URL, events=["priority.changed"])
    with django_assert_num_queries(1):
        webhook_events.evidence_created(
            [{"id": 1, "external_id": None, "source": "support", "importance": "important"}]
        )
    assert not WebhookDelivery.objects.exists()


def test_key_result_and_objective_updates_are_events(django_capture_on_commit_callbacks):
    subscription = subscription_for(URL, events=["key_result.updated", "objective.updated"])
    objective = ObjectiveFactory(title="Grow")
    metric = MetricFactory(key="nps")
    kr = KeyResultFactory(objective=objective, metric=metric, start=0, target=100, current=0)
    KeyResultFactory(objective=objective, title="Untracked")

    with django_capture_on_commit_callbacks(execute=False):
        okr_services.key_result_update(actor=None, key_result=kr, data={"title": "NPS 50"})
        okr_services.objective_update(actor=None, objective=objective, data={"weight": 3})
        okr_services.metric_readings_ingest(
            actor=None, metric=metric, items=[{"value": 40}, {"value": 42}]
        )

    assert _events(subscription) == [
        "key_result.updated",
        "objective.updated",
        "key_result.updated",
    ]
    edit, _, reading = (
        d.payload["data"]
        for d in WebhookDelivery.objects.filter(subscription=subscription).order_by("id")
    )
    assert (edit["id"], edit["title"]) == (kr.pk, "NPS 50")
    assert (reading["id"], reading["current"], reading["progress"]) == (kr.pk, 42, 0.42)
    objective_data = _payload(subscription, "objective.updated")["data"]
    assert (objective_data["id"], objective_data["weight"]) == (objective.pk, 3)


def test_priority_changed_keeps_its_causes_and_reaches_the_receiver_verified(
    receiver, allow_private, django_capture_on_commit_callbacks
):
    subscription = subscription_for(receiver.url, events=["priority.changed"])
    with django_capture_on_commit_callbacks(execute=True):
        initiative = services.initiative_create(actor=None, title="SSO", reach=10)
    with django_capture_on_commit_callbacks(execute=True):
        services.initiatives_rescore_marked()

    (request,) = receiver.requests
    body = verified(request, subscription.secret)
    assert body["type"] == "priority.changed"
    (change,) = body["data"]["initiatives"]
    assert change["id"] == initiative.pk
    assert change["causes"] == [{"kind": "edit", "field": "created", "by": None}]


def test_unknown_event_names_are_refused_and_the_ping_is_not_subscribable(product):
    response = product.post(
        "/api/v1/webhooks/", {"url": URL, "events": ["webhook.ping"]}, format="json"
    )

    assert response.status_code == 400
    assert WebhookSubscription.PING not in WebhookSubscription.Event.values
