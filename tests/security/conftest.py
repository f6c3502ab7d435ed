import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import UserFactory


def api_client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


@pytest.fixture
def roleless_user(db):
    return UserFactory(username="nora")


@pytest.fixture
def users(product_user, marketing_user, integration_user, superuser, roleless_user):
    """Every kind of account, by the name the role matrix uses (anonymous is None)."""
    return {
        "anonymous": None,
        "no_role": roleless_user,
        "marketing": marketing_user,
        "integration": integration_user,
        "product": product_user,
        "superuser": superuser,
    }
