"""Rescore and ingest at the same time on PostgreSQL: real transactions from two threads.

Outside tests/integration (no worker there, Celery eager), so nothing but
these threads touches the rows.
"""

import threading

import pytest
from django.db import connection, connections

from roadmap import services
from roadmap.services import marks
from roadmap.services import rescore as rescore_module
from tests.factories import InitiativeFactory

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks: PostgreSQL only (set DATABASE_URL)"
)


def test_ingest_does_not_wait_for_a_running_rescore(transactional_db, monkeypatch):
    """A rescore holds no initiative lock while it aggregates: ingest commits meanwhile."""
    # No eager rescore on commit: this test runs the rescores itself.
    monkeypatch.setattr(marks, "_send_nudge", lambda: None)
    initiative = InitiativeFactory(reach_source="evidence")
    services.evidence_ingest(
        actor=None, items=[{"source": "nps", "text": "first", "initiative": initiative}]
    )
    aggregated, release = threading.Event(), threading.Event()
    aggregate = rescore_module._reach_aggregates
    errors = []

    def held_aggregate(*args, **kwargs):
        sums = aggregate(*args, **kwargs)
        aggregated.set()
        release.wait(timeout=30)
        return sums

    def rescore():
        try:
            rescore_module.initiatives_rescore_marked()
        except Exception as exc:  # reported to the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    monkeypatch.setattr(rescore_module, "_reach_aggregates", held_aggregate)
    running = threading.Thread(target=rescore)
    running.start()
    try:
        assert aggregated.wait(timeout=30)
        # The rescore is mid-run in an open transaction; this ingest (its own
        # transaction) marks the same initiative and must commit right away.
        done = threading.Event()

        def ingest():
            try:
                services.evidence_ingest(
                    actor=None, items=[{"source": "nps", "text": "late", "initiative": initiative}]
                )
                done.set()
            except Exception as exc:  # reported to the main thread
                errors.append(exc)
            finally:
                connections.close_all()

        late = threading.Thread(target=ingest)
        late.start()
        # Before: the claim locked the row for the whole run and this waited.
        assert done.wait(timeout=10), "the ingest waited for the rescore"
        late.join(timeout=10)
    finally:
        release.set()
        running.join(timeout=30)
    monkeypatch.setattr(rescore_module, "_reach_aggregates", aggregate)
    assert errors == []
    initiative.refresh_from_db()
    assert initiative.evidence_count == 1  # what the held run saw ...
    assert initiative.needs_rescore  # ... and the late item's mark survived it
    rescore_module.initiatives_rescore_marked()
    initiative.refresh_from_db()
    assert (initiative.evidence_count, initiative.needs_rescore) == (2, False)
