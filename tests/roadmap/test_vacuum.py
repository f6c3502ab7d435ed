"""The rescore worker vacuums the initiative table itself, at most every interval."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from roadmap.services.vacuum import VACUUM_KEY, initiatives_vacuum
from roadmap.tasks import recompute_priorities
from tests.factories import InitiativeFactory

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="VACUUM: PostgreSQL only (set DATABASE_URL)"
)


def _vacuums(queries) -> int:
    return sum("VACUUM" in q["sql"] for q in queries.captured_queries)


def test_a_rescore_vacuums_the_initiative_table_once_per_interval(transactional_db):
    InitiativeFactory()  # marked, no nudge: the task below claims it
    cache.delete(VACUUM_KEY)
    with CaptureQueriesContext(connection) as queries:
        assert recompute_priorities() == 1
    assert _vacuums(queries) == 1
    InitiativeFactory()
    with CaptureQueriesContext(connection) as again:
        assert recompute_priorities() == 1
    assert _vacuums(again) == 0  # within RESCORE_VACUUM_SECONDS
    with CaptureQueriesContext(connection) as idle:
        cache.delete(VACUUM_KEY)
        assert recompute_priorities() == 0
    assert _vacuums(idle) == 0  # nothing claimed, nothing written, nothing to vacuum


def test_vacuum_is_skipped_inside_a_transaction(db):
    cache.delete(VACUUM_KEY)
    assert not initiatives_vacuum()  # a test's transaction: VACUUM cannot run there
