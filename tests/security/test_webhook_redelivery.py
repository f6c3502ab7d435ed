"""A webhook retry whose Celery message was lost is re-sent by the beat sweep, once."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from roadmap import tasks
from roadmap.models import WebhookDelivery, WebhookSubscription
from tests.api.webhook_support import SECRET, Receiver, verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    server = Receiver()
    yield server
    server.close()


def _delivery(url="http://127.0.0.1:9/down", *, late_by=60.0, **fields) -> WebhookDelivery:
    subscription = WebhookSubscription.objects.create(
        url=url, events=["priority.changed"], secret=SECRET
    )
    values = {
        "event": "priority.changed",
        "payload": {"type": "priority.changed", "timestamp": "", "data": {"initiatives": []}},
        "attempts": 1,
        "next_attempt_at": timezone.now() - timedelta(seconds=late_by),
        **fields,
    }
    return WebhookDelivery.objects.create(subscription=subscription, **values)


def test_an_overdue_retry_is_re_enqueued_once_however_often_the_sweep_runs(
    django_capture_on_commit_callbacks,
):
    delivery = _delivery()
    with django_capture_on_commit_callbacks(execute=False) as first:
        assert tasks.retry_due_webhook_deliveries() == 1
    with django_capture_on_commit_callbacks(execute=False) as second:
        assert tasks.retry_due_webhook_deliveries() == 0

    assert len(first) == 1
    assert second == []
    delivery.refresh_from_db()
    # Leased a minute ahead: if this message is lost too, a later sweep takes it again.
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=50)
    assert delivery.status == "pending"


def test_the_sweep_leaves_retries_that_are_on_time_and_finished_deliveries_alone(
    django_capture_on_commit_callbacks,
):
    _delivery(late_by=5)  # due, but its own retry message may still come (interval 30 s)
    _delivery(late_by=-60)  # not due yet
    _delivery(status="succeeded", delivered_at=timezone.now())
    _delivery(status="failed", attempts=12)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert tasks.retry_due_webhook_deliveries() == 0
    assert callbacks == []


def test_a_re_enqueued_delivery_reaches_the_receiver_once_signed(
    receiver, django_capture_on_commit_callbacks
):
    delivery = _delivery(receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.retry_due_webhook_deliveries()
    with django_capture_on_commit_callbacks(execute=True):
        tasks.retry_due_webhook_deliveries()

    (request,) = receiver.requests
    assert verify(request, SECRET)
    assert request["headers"]["webhook-id"] == f"msg_{delivery.pk}"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)


def test_a_succeeded_delivery_is_never_sent_again_even_if_enqueued_again(receiver):
    delivery = _delivery(receiver.url)
    assert tasks.deliver_webhook.delay(delivery.pk).get() == "succeeded"
    assert tasks.deliver_webhook.delay(delivery.pk).get() == "succeeded"
    assert len(receiver.requests) == 1


def test_the_sweep_is_on_the_beat_schedule_every_30_seconds_by_default():
    entry = django_settings.CELERY_BEAT_SCHEDULE["retry-due-webhook-deliveries"]
    assert entry["task"] == "roadmap.tasks.retry_due_webhook_deliveries"
    assert entry["schedule"] == timedelta(seconds=30)
