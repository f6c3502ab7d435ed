import os
import tempfile
from pathlib import Path

import pytest
from django.core.cache import cache

from roadmap.services import read_cache
from roadmap.services.marks import LAST_RUN_KEY, NUDGE_KEY
from tests.factories import UserFactory

# Hypothesis keeps its example database and caches outside the work tree, so
# `make test` leaves nothing for git to list (schemathesis, run in process,
# writes nothing; tests/test_packaging.py checks both).
os.environ.setdefault(
    "HYPOTHESIS_STORAGE_DIRECTORY", str(Path(tempfile.gettempdir()) / "priority-hypothesis")
)


@pytest.fixture(autouse=True)
def _no_pending_nudge():
    # The rescore nudge de-duplicates through the cache; start every test clean.
    # (Not cache.clear(): with Redis that would flush the broker's database too.)
    cache.delete_many([NUDGE_KEY, LAST_RUN_KEY])
    # Each test starts a new generation of cached ranked-list pages, so no test
    # reads a page another test's data built.
    read_cache._bump()
    yield
    cache.delete_many([NUDGE_KEY, LAST_RUN_KEY])


@pytest.fixture
def product_user(db):
    return UserFactory(username="pat", groups=["product"])


@pytest.fixture
def marketing_user(db):
    return UserFactory(username="mia", groups=["marketing"])


@pytest.fixture
def integration_user(db):
    return UserFactory(username="ivy", groups=["integration"])
