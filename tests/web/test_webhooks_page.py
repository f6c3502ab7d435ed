"""The webhooks page: product lists, creates and edits subscriptions, rotates the secret,
sees deliveries, pings, replays and turns a disabled subscription on again."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from roadmap import webhooks
from roadmap.models import WebhookDelivery, WebhookSubscription
from tests.api.webhook_support import SECRET, Receiver, subscription_for, verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def allow_private(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def test_only_product_sees_the_page_and_the_nav_link(product_client, client, marketing_user):
    page = product_client.get("/webhooks/")
    assert page.status_code == 200
    assert b'href="/webhooks/"' in page.content

    client.force_login(marketing_user)
    assert client.get("/webhooks/").status_code == 403
    assert b'href="/webhooks/"' not in client.get("/priorities/").content


def test_creating_a_subscription_shows_its_secret_once(product_client, allow_private):
    response = product_client.post(
        "/webhooks/",
        {
            "url": "http://127.0.0.1:9/hook",
            "events": ["priority.changed", "evidence.created"],
            "description": "CRM",
        },
    )

    subscription = WebhookSubscription.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/webhooks/{subscription.pk}/"
    assert subscription.events == ["priority.changed", "evidence.created"]
    assert subscription.secret.startswith("whsec_")
    shown = product_client.get(f"/webhooks/{subscription.pk}/").content.decode()
    assert subscription.secret in shown
    assert (
        subscription.secret
        not in product_client.get(f"/webhooks/{subscription.pk}/").content.decode()
    )


def test_a_refused_url_is_a_field_error(product_client):
    response = product_client.post(
        "/webhooks/", {"url": "http://10.0.0.1/hook", "events": ["priority.changed"]}
    )

    assert response.status_code == 400
    assert "resolves to 10.0.0.1" in response.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_editing_events_and_url(product_client, allow_private):
    subscription = subscription_for("http://127.0.0.1:9/a")

    response = product_client.post(
        f"/webhooks/{subscription.pk}/",
        {"url": "http://127.0.0.1:9/b", "events": ["initiative.created"], "description": ""},
    )

    assert response.status_code == 302
    subscription.refresh_from_db()
    assert (subscription.url, subscription.events) == (
        "http://127.0.0.1:9/b",
        ["initiative.created"],
    )


def test_a_disabled_subscription_is_flagged_and_can_be_turned_on_again(product_client):
    subscription = subscription_for(
        "https://93.184.215.14/hook",
        active=False,
        disabled_at=timezone.now(),
        disabled_reason="Disabled after delivery 7 (priority.changed) failed 12 times",
    )

    listing = product_client.get("/webhooks/").content.decode()
    assert 'id="webhooks-disabled"' in listing
    assert "1 subscription turned off" in listing
    detail = product_client.get(f"/webhooks/{subscription.pk}/").content.decode()
    assert "failed 12 times" in detail

    product_client.post(f"/webhooks/{subscription.pk}/enable/")

    subscription.refresh_from_db()
    assert (subscription.active, subscription.disabled_at, subscription.disabled_reason) == (
        True,
        None,
        "",
    )
    assert 'id="webhooks-disabled"' not in product_client.get("/webhooks/").content.decode()


def test_rotating_shows_the_new_secret_once(product_client):
    subscription = subscription_for("https://93.184.215.14/hook")

    product_client.post(f"/webhooks/{subscription.pk}/rotate-secret/")
    page = product_client.get(f"/webhooks/{subscription.pk}/").content.decode()

    subscription.refresh_from_db()
    assert subscription.secret != SECRET
    assert subscription.previous_secret == SECRET
    assert subscription.secret in page
    assert "The old secret also signs deliveries until" in page


def test_ping_and_replay_answer_the_refreshed_delivery_table(
    product_client, receiver, allow_private, django_capture_on_commit_callbacks
):
    subscription = subscription_for(receiver.url)

    with django_capture_on_commit_callbacks(execute=True):
        product_client.post(f"/webhooks/{subscription.pk}/ping/", HTTP_HX_REQUEST="true")
    ping = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        product_client.post(
            f"/webhooks/{subscription.pk}/deliveries/{ping.pk}/replay/", HTTP_HX_REQUEST="true"
        )
    table = product_client.get(f"/webhooks/{subscription.pk}/").content.decode()

    assert len(receiver.requests) == 2
    assert all(verify(r, SECRET) for r in receiver.requests)
    assert table.count('data-status="succeeded"') == 2
    assert ">replay</span>" in table
    assert table.count(">204</td>") == 2


def test_deleting_a_subscription_takes_its_deliveries_and_says_so(product_client):
    subscription = subscription_for("http://127.0.0.1:9/hook")
    other = subscription_for("http://127.0.0.1:9/other")
    WebhookDelivery.objects.create(subscription=subscription, event="ping", payload={})
    page = product_client.get(f"/webhooks/{subscription.pk}/").content.decode()
    assert f'action="/webhooks/{subscription.pk}/delete/"' in page
    assert "hx-confirm=" in page

    response = product_client.post(f"/webhooks/{subscription.pk}/delete/", follow=True)

    assert response.redirect_chain == [("/webhooks/", 302)]
    assert "Deleted the subscription to http://127.0.0.1:9/hook" in response.content.decode()
    assert list(WebhookSubscription.objects.all()) == [other]
    assert not WebhookDelivery.objects.filter(subscription_id=subscription.pk).exists()
    assert product_client.post(f"/webhooks/{subscription.pk}/delete/").status_code == 404


def test_only_product_deletes_a_subscription(client, marketing_user):
    subscription = subscription_for("http://127.0.0.1:9/hook")
    client.force_login(marketing_user)
    assert client.post(f"/webhooks/{subscription.pk}/delete/").status_code == 403
    assert client.get(f"/webhooks/{subscription.pk}/delete/").status_code in (403, 405)
    assert WebhookSubscription.objects.filter(pk=subscription.pk).exists()


def _log(subscription, n: int) -> list:
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(subscription=subscription, event="ping", payload={"n": k}) for k in range(n)
    )
    for original in deliveries[:3]:  # replays, and a replay of a replay
        replay = WebhookDelivery.objects.create(
            subscription=subscription, event="ping", payload={}, replay_of=original
        )
        WebhookDelivery.objects.create(
            subscription=subscription, event="ping", payload={}, replay_of=replay
        )
    return deliveries


def test_deleting_a_subscription_costs_the_same_queries_however_long_its_log():
    kept = subscription_for("http://127.0.0.1:9/kept")
    _log(kept, 5)
    counted = []
    for n in (5, 300):
        subscription = subscription_for(f"http://127.0.0.1:9/{n}")
        _log(subscription, n)
        with CaptureQueriesContext(connection) as queries:
            webhooks.webhook_subscription_delete(actor=None, subscription=subscription)
        counted.append(len(queries))
        assert not WebhookDelivery.objects.filter(subscription_id=subscription.pk).exists()
    assert counted[0] == counted[1]
    assert list(WebhookSubscription.objects.all()) == [kept]
    assert WebhookDelivery.objects.filter(subscription=kept).count() == 11
