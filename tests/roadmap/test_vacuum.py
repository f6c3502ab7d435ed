"""The rescore worker vacuums the initiative table itself, at most every interval."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from roadmap.services.vacuum import ANALYZE_KEY, VACUUM_KEY, initiatives_vacuum
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


def _analyzed(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "ANALYZE" in q["sql"]]


def test_the_initiative_table_is_analyzed_on_a_longer_interval(transactional_db):
    cache.delete(VACUUM_KEY)
    cache.delete(ANALYZE_KEY)
    with CaptureQueriesContext(connection) as first:
        assert initiatives_vacuum()
    assert any("roadmap_initiative" in sql for sql in _analyzed(first))
    cache.delete(VACUUM_KEY)  # the vacuum's interval is over, not the analyze's
    with CaptureQueriesContext(connection) as second:
        assert initiatives_vacuum()
    assert _vacuums(second) == 1
    assert _analyzed(second) == ["ANALYZE roadmap_pendingevidence"]


def test_vacuum_is_skipped_inside_a_transaction(db):
    cache.delete(VACUUM_KEY)
    assert not initiatives_vacuum()  # a test's transaction: VACUUM cannot run there


def test_the_vacuum_empties_the_pending_evidence_table_the_runs_churn(transactional_db):
    from roadmap import services
    from roadmap.services import marks

    initiative = InitiativeFactory()
    marks_nudge, marks._send_nudge = marks._send_nudge, lambda: None
    try:
        for batch in range(2):
            services.evidence_ingest(
                actor=None,
                items=[
                    {"source": "nps", "text": f"b{batch}n{n}", "initiative": initiative}
                    for n in range(1000)
                ],
            )
    finally:
        marks._send_nudge = marks_nudge

    def pages() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_relation_size('roadmap_pendingevidence') / 8192")
            return cursor.fetchone()[0]

    assert pages() > 0
    cache.delete(VACUUM_KEY)
    assert recompute_priorities() == 1  # folds and deletes the 2,000 rows, then vacuums
    assert pages() == 0  # the dead rows are gone and the file truncated
