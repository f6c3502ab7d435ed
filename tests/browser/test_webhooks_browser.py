"""Product adds a webhook subscription in a real Chromium, sees its secret once, sends a test
ping and sees the delivery, verified by the receiver, in the table."""

import pytest
from playwright.sync_api import expect

from roadmap.models import WebhookDelivery, WebhookSubscription
from tests.api.webhook_support import Receiver, verified
from tests.browser.conftest import log_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def receiver(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True  # the receiver is on loopback
    server = Receiver()
    yield server
    server.close()


def test_create_a_subscription_then_ping_it_and_see_the_delivery(page, receiver, shoot):
    UserFactory(username="pat", groups=["product"])
    log_in(page, "pat")

    page.get_by_role("link", name="Webhooks").click()
    page.get_by_label("URL").fill(receiver.url)
    page.get_by_label("Description").fill("CRM sync")
    page.get_by_label("Evidence created").uncheck()
    page.get_by_role("button", name="Add subscription").click()

    secret_box = page.locator("#new-secret")
    expect(secret_box).to_contain_text("not shown again")
    subscription = WebhookSubscription.objects.get()
    expect(secret_box.locator("[data-secret]")).to_have_text(subscription.secret)
    assert "evidence.created" not in subscription.events
    assert "priority.changed" in subscription.events

    page.get_by_role("button", name="Send test ping").click()

    row = page.locator("#delivery-table tbody tr").first
    expect(row).to_contain_text("webhook.ping")
    expect(row).to_contain_text("Succeeded")
    expect(row.locator("[data-response]")).to_have_text("204")
    shoot(page, "webhooks-ping")
    (request,) = receiver.requests
    assert verified(request, subscription.secret)["type"] == "webhook.ping"
    assert WebhookDelivery.objects.get().status == "succeeded"

    # Reloaded, the page no longer shows the secret.
    page.reload()
    expect(page.locator("#new-secret")).to_have_count(0)
    expect(page.locator("#delivery-table tbody tr")).to_have_count(1)
