"""Managing a subscription over the API: deliveries listed and replayed, pings, secret rotation,
turning a disabled subscription on again, and secrets from before the whsec_ form."""

import base64
import hashlib
import hmac
import importlib
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.utils import timezone

from roadmap.models import WebhookDelivery, WebhookSubscription
from roadmap.webhooks import sign
from tests.api.webhook_support import (
    OTHER_SECRET,
    SECRET,
    one_delivery,
    subscription_for,
    verified,
    verify,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhooks/"


def _sent(client, path, capture, body=None):
    """POST as the browser or an integration would; what was queued is sent after commit."""
    with capture(execute=True):
        response = client.post(path, body, format="json")
    assert response.status_code == 202, response.content
    return WebhookDelivery.objects.get(pk=response.json()["id"])


def _delivery(subscription, **fields):
    values = {
        "event": "initiative.created",
        "payload": {"type": "initiative.created", "timestamp": "", "data": {"id": 1}},
        **fields,
    }
    return WebhookDelivery.objects.create(subscription=subscription, **values)


# --- Listing ---------------------------------------------------------------------


def test_deliveries_are_listed_newest_first_filtered_and_cursor_paginated(product):
    subscription = subscription_for("https://93.184.215.14/hook")
    old = _delivery(subscription, status="failed", event="evidence.created")
    WebhookDelivery.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    rows = [_delivery(subscription, status="succeeded") for _ in range(3)]
    base = f"{URL}{subscription.pk}/deliveries/"

    first = product.get(base, {"page_size": 2}).json()
    second = product.get(first["next"]).json()
    assert [r["id"] for r in first["results"] + second["results"]] == [
        rows[2].pk,
        rows[1].pk,
        rows[0].pk,
        old.pk,
    ]
    assert first["results"][0]["webhook_id"] == f"msg_{rows[2].pk}"
    assert [r["id"] for r in product.get(base, {"status": "failed"}).json()["results"]] == [old.pk]
    assert [
        r["id"] for r in product.get(base, {"event": "evidence.created"}).json()["results"]
    ] == [old.pk]
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert len(product.get(base, {"created_after": since}).json()["results"]) == 3
    assert [r["id"] for r in product.get(base, {"created_before": since}).json()["results"]] == [
        old.pk
    ]
    refused = product.get(base, {"state": "failed"})
    assert refused.status_code == 400
    assert "state" in str(refused.json())
    assert product.get(base, {"status": "lost"}).status_code == 400


# --- Ping and replay -------------------------------------------------------------


def test_a_ping_is_signed_delivered_and_listed(
    product, receiver, allow_private, django_capture_on_commit_callbacks
):
    subscription = subscription_for(receiver.url)

    ping = _sent(product, f"{URL}{subscription.pk}/ping/", django_capture_on_commit_callbacks)

    assert (ping.status, ping.last_response_code) == ("succeeded", 204)
    (request,) = receiver.requests
    body = verified(request, SECRET)
    assert body["type"] == "webhook.ping"
    assert body["data"]["subscription"] == subscription.pk
    listed = product.get(f"{URL}{subscription.pk}/deliveries/").json()["results"]
    assert [(r["event"], r["status"]) for r in listed] == [("webhook.ping", "succeeded")]


def test_ping_and_replay_still_pass_the_ssrf_guard(
    product, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    subscription = subscription_for(receiver.url)
    delivery = _delivery(subscription, status="failed")
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    capture = django_capture_on_commit_callbacks

    ping = _sent(product, f"{URL}{subscription.pk}/ping/", capture)
    replay = _sent(product, f"{URL}{subscription.pk}/deliveries/{delivery.pk}/replay/", capture)

    assert receiver.requests == []
    for sent in (ping, replay):
        assert sent.status == "failed"
        assert "a loopback, private, link-local" in sent.last_error


def test_a_replay_sends_the_same_message_again_under_the_same_webhook_id(
    product, receiver, allow_private, django_capture_on_commit_callbacks
):
    subscription = subscription_for(receiver.url)
    original, _ = one_delivery(subscription, django_capture_on_commit_callbacks)

    capture = django_capture_on_commit_callbacks
    first = _sent(product, f"{URL}{subscription.pk}/deliveries/{original.pk}/replay/", capture)
    again = _sent(product, f"{URL}{subscription.pk}/deliveries/{first.pk}/replay/", capture)

    assert len(receiver.requests) == 3
    ids = {r["headers"]["webhook-id"] for r in receiver.requests}
    assert ids == {f"msg_{original.pk}"}
    assert len({r["body"] for r in receiver.requests}) == 1
    assert (first.replay_of_id, again.replay_of_id) == (original.pk, original.pk)
    assert first.status == again.status == "succeeded"
    other = subscription_for(receiver.url)
    missing = product.post(f"{URL}{other.pk}/deliveries/{original.pk}/replay/")
    assert missing.status_code == 404


def test_a_disabled_subscription_gets_pings_and_replays_but_no_events(
    product, receiver, allow_private, django_capture_on_commit_callbacks
):
    subscription = subscription_for(receiver.url)
    delivery, _ = one_delivery(subscription, django_capture_on_commit_callbacks)
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        active=False, disabled_at=timezone.now(), disabled_reason="Disabled after ..."
    )
    receiver.requests.clear()
    capture = django_capture_on_commit_callbacks

    assert _sent(product, f"{URL}{subscription.pk}/ping/", capture).status == "succeeded"
    replayed = _sent(product, f"{URL}{subscription.pk}/deliveries/{delivery.pk}/replay/", capture)
    assert replayed.status == "succeeded"
    assert len(receiver.requests) == 2
    shown = product.get(f"{URL}{subscription.pk}/").json()
    assert (shown["active"], shown["disabled_reason"]) == (False, "Disabled after ...")

    turned_on = product.patch(f"{URL}{subscription.pk}/", {"active": True}, format="json")

    assert turned_on.json()["active"] is True
    assert turned_on.json()["disabled_at"] is None
    assert turned_on.json()["disabled_reason"] == ""


def test_a_failed_ping_is_not_retried_and_does_not_disable(
    product, receiver, allow_private, django_capture_on_commit_callbacks
):
    receiver.status = 500
    subscription = subscription_for(receiver.url)

    ping = _sent(product, f"{URL}{subscription.pk}/ping/", django_capture_on_commit_callbacks)

    assert (ping.status, ping.attempts, ping.last_response_code) == ("failed", 1, 500)
    assert ping.next_attempt_at is None
    subscription.refresh_from_db()
    assert subscription.active is True


# --- Secrets -----------------------------------------------------------------------


def test_rotation_shows_the_new_secret_once_and_signs_with_both_for_the_overlap(
    product, receiver, allow_private, django_capture_on_commit_callbacks
):
    subscription = subscription_for(receiver.url)

    rotated = product.post(f"{URL}{subscription.pk}/rotate-secret/", {}, format="json")

    assert rotated.status_code == 200
    new_secret = rotated.json()["secret"]
    assert new_secret.startswith("whsec_")
    assert new_secret != SECRET
    assert "secret" not in product.get(f"{URL}{subscription.pk}/").json()
    _sent(product, f"{URL}{subscription.pk}/ping/", django_capture_on_commit_callbacks)
    (request,) = receiver.requests
    assert len(request["headers"]["webhook-signature"].split(" ")) == 2
    assert verify(request, new_secret)
    assert verify(request, SECRET)  # a receiver not yet switched
    assert not verify(request, OTHER_SECRET)

    # Once the window has passed, only the new secret signs.
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        previous_secret_expires_at=timezone.now() - timedelta(seconds=1)
    )
    _sent(product, f"{URL}{subscription.pk}/ping/", django_capture_on_commit_callbacks)
    assert verify(receiver.requests[1], new_secret)
    assert not verify(receiver.requests[1], SECRET)
    assert len(receiver.requests[1]["headers"]["webhook-signature"].split(" ")) == 1


def test_the_overlap_window_is_24_hours_and_a_given_secret_must_be_whsec(product):
    subscription = subscription_for("https://93.184.215.14/hook")
    before = timezone.now()

    answer = product.post(
        f"{URL}{subscription.pk}/rotate-secret/", {"secret": OTHER_SECRET}, format="json"
    ).json()

    assert answer["secret"] == OTHER_SECRET
    subscription.refresh_from_db()
    assert subscription.previous_secret == SECRET
    window = subscription.previous_secret_expires_at - before
    assert timedelta(hours=23, minutes=59) < window <= timedelta(hours=24, seconds=5)
    for bad in ("not-a-whsec-secret-at-all", "whsec_" + base64.b64encode(b"short").decode()):
        refused = product.post(
            f"{URL}{subscription.pk}/rotate-secret/", {"secret": bad}, format="json"
        )
        assert refused.status_code == 400
        assert "secret" in str(refused.json())


def test_secrets_from_before_whsec_are_migrated_keeping_their_key_bytes(db):
    legacy = "s3cret-of-an-old-subscription"
    subscription = subscription_for("https://93.184.215.14/hook", secret=legacy)
    blank = subscription_for("https://93.184.215.14/hook", secret="", active=False)
    migration = importlib.import_module("roadmap.migrations.0029_webhooks_standard")

    migration.secrets_to_whsec(django_apps, None)

    subscription.refresh_from_db()
    blank.refresh_from_db()
    assert subscription.secret == "whsec_" + base64.b64encode(legacy.encode()).decode()
    assert blank.secret == ""
    # The receiver's old secret is the key: its HMAC is the one the new signature carries.
    mac = hmac.new(legacy.encode(), b"msg_1.1700000000.{}", hashlib.sha256).digest()
    signature = sign(secret=subscription.secret, msg_id="msg_1", timestamp=1700000000, body="{}")
    assert signature == "v1," + base64.b64encode(mac).decode()
