import pytest
from django.core.cache import cache

from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _clear_cache():
    # The rescore nudge de-duplicates through the cache; start every test clean.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def product_user(db):
    return UserFactory(username="pat", groups=["product"])


@pytest.fixture
def marketing_user(db):
    return UserFactory(username="mia", groups=["marketing"])


@pytest.fixture
def integration_user(db):
    return UserFactory(username="ivy", groups=["integration"])
