"""Product creates an API key in a real Chromium, sees its secret once, and the key works."""

import pytest
from playwright.sync_api import expect
from rest_framework.test import APIClient

from apikeys.models import ApiKey
from apikeys.services import digest
from tests.browser.conftest import log_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(db):
    UserFactory(username="pat", groups=["product"])
    UserFactory(username="zendesk-bot", groups=["integration"])


def test_product_creates_a_key_sees_it_once_and_revokes_it(page, people, shoot):
    log_in(page, "pat")
    page.get_by_role("link", name="API keys").click()
    expect(page.get_by_role("heading", name="zendesk-bot")).to_be_visible()

    page.get_by_label("Name").fill("Zendesk sync")
    page.get_by_label("Ingest (POST evidence, readings, check-ins)").check()
    page.get_by_label("Write (every other change)").uncheck()
    page.get_by_role("button", name="Create key").click()

    secret_box = page.get_by_label("The new API key")
    expect(secret_box).to_be_visible()
    secret = secret_box.input_value()
    shoot(page, "api-key-created")
    key = ApiKey.objects.get()
    assert secret.startswith(key.prefix)
    assert key.digest == digest(secret)
    assert key.name == "Zendesk sync"
    assert key.scopes == ["read", "ingest"]
    row = page.locator(f"#api-key-{key.pk}")
    expect(row).to_contain_text(f"{key.prefix}…")
    expect(row).to_contain_text("read, ingest")

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/api/v1/priorities/").status_code == 200

    page.reload()
    expect(page.get_by_label("The new API key")).to_have_count(0)
    assert secret not in page.content()

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke the key Zendesk sync").click()
    expect(page.locator(f"#api-key-{key.pk}")).to_contain_text("Revoked")
    assert api.get("/api/v1/priorities/").status_code == 401
