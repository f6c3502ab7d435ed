"""The API-keys page (product) and the admin: create shows the secret once, revoke, roles."""

import re

import pytest
from django.contrib.auth.models import User

from apikeys.models import ApiKey
from apikeys.services import digest
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

KEY = re.compile(r"prio_[a-z0-9]{8}_[A-Za-z0-9]{40}")


@pytest.fixture
def product_client(client, product_user):
    client.force_login(product_user)
    return client


def test_product_creates_a_key_and_sees_its_secret_once(product_client, integration_user):
    created = product_client.post(
        "/settings/api-keys/new/",
        {"user": integration_user.pk, "name": "Zendesk", "scopes": ["read", "ingest"]},
        HTTP_HX_REQUEST="true",
    )
    later = product_client.get("/settings/api-keys/")

    shown = KEY.findall(created.content.decode())
    assert created.status_code == 200
    assert created["Cache-Control"] == "no-store"
    assert len(shown) == 1
    key = ApiKey.objects.get()
    assert (key.user, key.name, key.scopes) == (integration_user, "Zendesk", ["read", "ingest"])
    assert key.digest == digest(shown[0])
    assert later.status_code == 200
    assert not KEY.findall(later.content.decode())
    assert f"{key.prefix}…" in later.content.decode()


def test_a_key_is_only_for_an_integration_account(product_client, product_user, integration_user):
    response = product_client.post(
        "/settings/api-keys/new/",
        {"user": product_user.pk, "name": "Mine", "scopes": ["read"]},
    )

    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert not ApiKey.objects.exists()


def test_the_form_needs_a_name_and_a_scope(product_client, integration_user):
    response = product_client.post("/settings/api-keys/new/", {"user": integration_user.pk})

    assert response.status_code == 422
    assert not ApiKey.objects.exists()


def test_an_expiry_is_set_from_the_choice(product_client, integration_user):
    product_client.post(
        "/settings/api-keys/new/",
        {"user": integration_user.pk, "name": "Trial", "scopes": ["read"], "expires_in": "30"},
    )

    key = ApiKey.objects.get()
    assert 29.9 < (key.expires_at - key.created_at).total_seconds() / 86400 <= 30


def test_product_revokes_a_key(product_client, integration_user, make_key):
    key, _ = make_key(integration_user)

    response = product_client.post(f"/settings/api-keys/{key.pk}/revoke/")

    assert response.status_code == 302
    key.refresh_from_db()
    assert key.status == "revoked"
    page = product_client.get("/settings/api-keys/").content.decode()
    assert "Revoked" in page


def test_product_cannot_revoke_a_key_of_a_non_integration_account(
    product_client, product_user, make_key
):
    key, _ = make_key(product_user)

    assert product_client.post(f"/settings/api-keys/{key.pk}/revoke/").status_code == 404
    key.refresh_from_db()
    assert key.revoked_at is None


@pytest.mark.parametrize("role", ["marketing", "integration"])
def test_other_roles_may_not_see_or_create_keys(client, role, integration_user):
    client.force_login(UserFactory(username=f"x-{role}", groups=[role]))

    assert client.get("/settings/api-keys/").status_code == 403
    response = client.post(
        "/settings/api-keys/new/",
        {"user": integration_user.pk, "name": "x", "scopes": ["read"]},
    )
    assert response.status_code == 403
    assert not ApiKey.objects.exists()


def test_the_nav_links_the_page_for_product_only(client, product_user, marketing_user):
    client.force_login(product_user)
    product_nav = client.get("/priorities/").content.decode()
    client.force_login(marketing_user)
    marketing_nav = client.get("/priorities/").content.decode()

    assert 'href="/settings/api-keys/"' in product_nav
    assert 'href="/settings/api-keys/"' not in marketing_nav


# --- The admin ---------------------------------------------------------------------


@pytest.fixture
def staff_client(client):
    staff = User.objects.create_superuser("root", "root@example.com", "pw-for-tests-1")
    client.force_login(staff)
    return client


def test_the_admin_creates_through_the_service_and_shows_the_secret_once(
    staff_client, integration_user
):
    response = staff_client.post(
        "/admin/apikeys/apikey/add/",
        {"user": integration_user.pk, "name": "Warehouse", "scopes": ["read"], "expires_at": ""},
    )

    shown = KEY.findall(response.content.decode())
    key = ApiKey.objects.get()
    assert response.status_code == 200
    assert len(shown) == 1
    assert key.digest == digest(shown[0])
    assert key.created_by.username == "root"
    change_page = staff_client.get(f"/admin/apikeys/apikey/{key.pk}/change/").content.decode()
    assert not KEY.findall(change_page)
    assert f"{key.prefix}…" in change_page


def test_the_admin_revokes_with_its_action(staff_client, integration_user, make_key):
    key, _ = make_key(integration_user)

    staff_client.post(
        "/admin/apikeys/apikey/",
        {"action": "revoke", "_selected_action": [key.pk]},
    )

    key.refresh_from_db()
    assert key.status == "revoked"
    assert key.revoked_by.username == "root"


def test_the_admin_refuses_a_past_expiry_on_the_form(staff_client, integration_user):
    response = staff_client.post(
        "/admin/apikeys/apikey/add/",
        {
            "user": integration_user.pk,
            "name": "Old",
            "scopes": ["read"],
            "expires_at_0": "2020-01-01",
            "expires_at_1": "00:00:00",
        },
    )

    assert response.status_code == 200
    assert "The expiry must be in the future." in response.content.decode()
    assert not ApiKey.objects.exists()
