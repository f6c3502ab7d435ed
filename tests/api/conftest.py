import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.api.webhook_support import Receiver
from tests.factories import UserFactory


def _client_for(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def anon():
    return APIClient()


@pytest.fixture
def product(product_user):
    return _client_for(product_user)


@pytest.fixture
def marketing(marketing_user):
    return _client_for(marketing_user)


@pytest.fixture
def integration(integration_user):
    return _client_for(integration_user)


@pytest.fixture
def no_role(db):
    return _client_for(UserFactory(username="nora"))


@pytest.fixture
def admin(db):
    user = UserFactory(username="root")
    user.is_superuser = True
    user.is_staff = True
    user.save()
    return _client_for(user)


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def allow_private(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
