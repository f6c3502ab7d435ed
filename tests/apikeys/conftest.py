import pytest
from rest_framework.test import APIClient

from apikeys.services import api_key_create
from tests.api.conftest import anon, integration, marketing, product  # noqa: F401


@pytest.fixture
def make_key(product_user):
    """A new key for `user` with `scopes`; returns (ApiKey, plaintext)."""

    def make(user, scopes=("read", "ingest", "write"), **extra):
        return api_key_create(
            actor=product_user, user=user, name="CRM sync", scopes=scopes, **extra
        )

    return make


@pytest.fixture
def bearer():
    def client(raw: str) -> APIClient:
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return api

    return client
