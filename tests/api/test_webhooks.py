import base64
import contextlib
import datetime

import pytest

from roadmap import tasks, webhooks
from roadmap.models import Initiative, ScoreSnapshot, WebhookDelivery, WebhookSubscription
from roadmap.services import initiatives_rescore_marked
from tests.api.problems import fields
from tests.api.webhook_support import (
    OTHER_SECRET,
    SECRET,
    one_delivery,
    subscription_for,
    verified,
    verify,
)
from tests.factories import InitiativeFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhooks/"


# --- Subscriptions over the API ----------------------------------------------


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("http://127.0.0.1:8000/hook", "127.0.0.1"),
        ("http://localhost/hook", "127.0.0.1"),
        ("http://10.1.2.3/hook", "10.1.2.3"),
        ("http://192.168.0.10/hook", "192.168.0.10"),
        ("http://169.254.169.254/latest/meta-data", "169.254.169.254"),
        ("http://[::1]/hook", "::1"),
        ("http://[::ffff:127.0.0.1]/hook", "::ffff:127.0.0.1"),
        ("http://0.0.0.0/hook", "0.0.0.0"),  # noqa: S104
        ("http://224.0.0.1/hook", "224.0.0.1"),
        ("http://240.0.0.1/hook", "240.0.0.1"),
    ],
)
def test_private_and_local_targets_are_refused_at_save_time(product, url, address):
    response = product.post(URL, {"url": url, "events": ["priority.changed"]}, format="json")

    assert response.status_code == 400
    (message,) = fields(response)["/url"]
    assert f"resolves to {address}, a loopback, private, link-local" in message
    assert not WebhookSubscription.objects.exists()


def test_private_targets_are_allowed_when_the_setting_says_so(product, allow_private):
    response = product.post(
        URL, {"url": "http://127.0.0.1:9/hook", "events": ["priority.changed"]}, format="json"
    )

    assert response.status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://93.184.215.14/x", "events": ["priority.changed"]}, "url"),
        ({"url": "https://93.184.215.14/x", "events": ["initiative.exploded"]}, "events"),
        ({"url": "https://93.184.215.14/x", "events": []}, "events"),
        (
            {"url": "https://93.184.215.14/x", "events": ["priority.changed"], "secret": "short"},
            "secret",
        ),
    ],
)
def test_subscription_validation(product, body, field):
    response = product.post(URL, body, format="json")

    assert response.status_code == 400
    assert any(where.startswith(f"/{field}") for where in fields(response))


def test_secret_is_generated_and_shown_once(product):
    created = product.post(
        URL, {"url": "https://93.184.215.14/hook", "events": ["priority.changed"]}, format="json"
    )

    assert created.status_code == 201
    secret = created.json()["secret"]
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert WebhookSubscription.objects.get().secret == secret
    fetched = product.get(f"{URL}{created.json()['id']}/").json()
    assert "secret" not in fetched
    assert "secret" not in product.get(URL).json()["results"][0]


def test_a_given_secret_is_kept_and_subscriptions_can_be_changed_and_deleted(product):
    created = product.post(
        URL,
        {
            "url": "https://93.184.215.14/hook",
            "events": ["priority.changed"],
            "secret": SECRET,
        },
        format="json",
    ).json()
    url = f"{URL}{created['id']}/"

    assert created["secret"] == SECRET
    assert product.patch(url, {"active": False}, format="json").json()["active"] is False
    assert product.patch(url, {"url": "http://10.0.0.1/"}, format="json").status_code == 400
    assert product.delete(url).status_code == 204
    assert not WebhookSubscription.objects.exists()


def test_integration_sees_only_its_own_subscriptions_and_marketing_none(
    integration, integration_user, marketing, product
):
    mine = subscription_for("https://93.184.215.14/a", created_by=integration_user)
    theirs = subscription_for("https://93.184.215.14/b", created_by=UserFactory())

    assert [r["id"] for r in integration.get(URL).json()["results"]] == [mine.pk]
    assert integration.get(f"{URL}{theirs.pk}/").status_code == 404
    assert {r["id"] for r in product.get(URL).json()["results"]} == {mine.pk, theirs.pk}
    assert marketing.get(URL).status_code == 403


# --- Fan-out and delivery ----------------------------------------------------


def test_enqueueing_the_same_rescore_twice_queues_its_deliveries_once(
    django_capture_on_commit_callbacks,
):
    subscription_for("https://93.184.215.14/a")
    InitiativeFactory(reach=10)
    initiatives_rescore_marked()
    ids = list(ScoreSnapshot.objects.values_list("id", flat=True))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = webhooks.priority_changed_enqueue(snapshot_ids=ids)
        again = webhooks.priority_changed_enqueue(snapshot_ids=ids)

    assert (first, again) == (1, 0)
    assert len(callbacks) == 1
    assert WebhookDelivery.objects.count() == 1


def test_enqueue_makes_one_delivery_per_active_subscription_with_the_changes(
    django_capture_on_commit_callbacks,
):
    active = subscription_for("https://93.184.215.14/a")
    subscription_for("https://93.184.215.14/b", active=False)
    subscription_for("https://93.184.215.14/c", events=[])
    first, second = InitiativeFactory(reach=10), InitiativeFactory(reach=20)
    initiatives_rescore_marked()
    ids = list(ScoreSnapshot.objects.values_list("id", flat=True))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        queued = webhooks.priority_changed_enqueue(snapshot_ids=ids)

    assert queued == 1
    assert len(callbacks) == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.subscription == active
    assert delivery.status == "pending"
    assert delivery.payload["type"] == "priority.changed"
    assert set(delivery.payload) == {"type", "timestamp", "data"}
    assert delivery.payload["data"]["initiatives"] == [
        {
            "id": second.pk,
            "title": second.title,
            "priority_score": pytest.approx(16.0),
            "previous_priority_score": None,
            "rank": 1,
            "previous_rank": None,
            "causes": [],
        },
        {
            "id": first.pk,
            "title": first.title,
            "priority_score": pytest.approx(8.0),
            "previous_priority_score": None,
            "rank": 2,
            "previous_rank": None,
            "causes": [],
        },
    ]


def test_delivery_is_signed_and_recorded(
    receiver, allow_private, django_capture_on_commit_callbacks
):
    subscription = subscription_for(receiver.url)

    delivery, initiative = one_delivery(subscription, django_capture_on_commit_callbacks)

    (request,) = receiver.requests
    assert request["path"] == "/hooks/priority?x=1"
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["headers"]["Host"] == f"127.0.0.1:{receiver.port}"
    assert request["headers"]["webhook-id"] == f"msg_{delivery.pk}"
    assert request["headers"]["webhook-signature"].startswith("v1,")
    body = verified(request, SECRET)
    assert not verify(request, OTHER_SECRET)
    assert body["type"] == "priority.changed"
    assert body["data"]["initiatives"][0]["id"] == initiative.pk
    delivery.refresh_from_db()
    assert delivery.status == "succeeded"
    assert delivery.attempts == 1
    assert delivery.last_response_code == 204
    assert delivery.delivered_at is not None


def test_a_succeeded_delivery_is_not_sent_again(
    receiver, allow_private, django_capture_on_commit_callbacks
):
    delivery, _ = one_delivery(subscription_for(receiver.url), django_capture_on_commit_callbacks)

    assert tasks.deliver_webhook.delay(delivery.pk).get() == "succeeded"

    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 1


def _run_attempts(delivery, times, monkeypatch):
    """Run the task as a worker would (not eagerly); returns the countdowns it asked for."""

    class Retry(Exception):
        pass

    countdowns = []

    def fake_retry(**kwargs):
        countdowns.append(kwargs["countdown"])
        return Retry()

    monkeypatch.setattr(tasks.deliver_webhook, "retry", fake_retry)
    tasks.deliver_webhook.push_request(is_eager=False)
    try:
        for _ in range(times):
            with contextlib.suppress(Retry):
                tasks.deliver_webhook.run(delivery.pk)
    finally:
        tasks.deliver_webhook.pop_request()
    return countdowns


def test_a_failed_attempt_is_retried_on_the_schedule_then_the_subscription_is_disabled(
    receiver, allow_private, django_capture_on_commit_callbacks, monkeypatch, settings
):
    settings.WEBHOOK_RETRY_SCHEDULE = [5, 300, 1800, 36000]
    settings.WEBHOOK_RETRY_JITTER = 0
    receiver.status = 500
    subscription = subscription_for(receiver.url)
    delivery, _ = one_delivery(subscription, django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert delivery.status == "pending"
    assert delivery.attempts == 1
    assert delivery.last_response_code == 500
    assert delivery.last_error == "ok"
    assert delivery.next_attempt_at is not None

    countdowns = _run_attempts(delivery, 4, monkeypatch)

    # Waits up to 10 minutes are countdowns; longer ones are the sweep's, from the row.
    assert countdowns == [300]
    delivery.refresh_from_db()
    assert delivery.attempts == 5
    assert delivery.status == "failed"
    assert delivery.next_attempt_at is None
    assert len(receiver.requests) == 5
    subscription.refresh_from_db()
    assert subscription.active is False
    assert subscription.disabled_at is not None
    assert subscription.disabled_reason.startswith(
        f"Disabled after delivery {delivery.pk} (priority.changed) failed 5 times since"
    )
    assert subscription.disabled_reason.endswith("last: HTTP 500 ok")


def test_the_default_schedule_spans_about_three_days_with_jitter(settings):
    schedule = settings.WEBHOOK_RETRY_SCHEDULE
    assert schedule[:5] == [5, 300, 1800, 7200, 18000]
    assert webhooks.max_attempts() == 12
    assert 2.5 * 86400 < sum(schedule) < 3 * 86400
    waits = {webhooks.retry_delay(1) for _ in range(50)}
    assert len(waits) > 1
    assert all(4 <= wait <= 6 for wait in waits)
    assert all(8 * 3600 <= webhooks.retry_delay(n) <= 12 * 3600 for n in (6, 11, 20))


def test_a_long_wait_is_sent_by_the_sweep_when_it_is_due(
    receiver, allow_private, django_capture_on_commit_callbacks, monkeypatch, settings
):
    settings.WEBHOOK_RETRY_SCHEDULE = [3600]
    settings.WEBHOOK_RETRY_JITTER = 0
    receiver.status = 500
    delivery, _ = one_delivery(subscription_for(receiver.url), django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    wait = delivery.next_attempt_at - delivery.last_attempt_at
    assert wait.total_seconds() == pytest.approx(3600)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert tasks.retry_due_webhook_deliveries() == 0  # not due yet
    assert callbacks == []

    receiver.status = 204
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=delivery.next_attempt_at - datetime.timedelta(hours=2)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.retry_due_webhook_deliveries() == 1

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)
    assert len(receiver.requests) == 2


def test_deliveries_are_readable_over_the_api(
    product, receiver, allow_private, django_capture_on_commit_callbacks
):
    subscription = subscription_for(receiver.url)
    one_delivery(subscription, django_capture_on_commit_callbacks)

    rows = product.get(f"{URL}{subscription.pk}/deliveries/").json()["results"]

    assert len(rows) == 1
    assert rows[0]["status"] == "succeeded"
    assert rows[0]["event"] == "priority.changed"
    assert rows[0]["attempts"] == 1
    assert product.get(f"{URL}999999/deliveries/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_an_api_edit_that_moves_priorities_sends_a_signed_webhook(product, receiver, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    created = product.post(
        URL, {"url": receiver.url, "events": ["priority.changed"]}, format="json"
    )
    secret = created.json()["secret"]

    initiative = product.post(
        "/api/v1/initiatives/", {"title": "Audit log", "reach": 300}, format="json"
    ).json()

    (request,) = receiver.requests
    body = verified(request, secret)
    assert body["type"] == "priority.changed"
    assert body["data"]["initiatives"] == [
        {
            "id": initiative["id"],
            "title": "Audit log",
            "priority_score": initiative["priority_score"],
            "previous_priority_score": None,
            "rank": 1,
            "previous_rank": None,
            "causes": [{"kind": "edit", "field": "created", "by": "pat"}],
        }
    ]
    assert Initiative.objects.count() == 1


# --- Slow receivers and TLS --------------------------------------------------
