"""Concurrent ingest on PostgreSQL: real transactions from two threads."""

import threading

from django.db import connection, connections, transaction

from roadmap import services
from roadmap.models import Customer, Evidence
from tests.integration.conftest import wait_for


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0] > 0


def test_two_batches_naming_the_same_new_customer_at_once_both_land(transactional_db):
    item = {"source": "sales", "text": "needs SSO", "customer_external_id": "crm-77"}
    first_inserted, release_first = threading.Event(), threading.Event()
    errors = []

    def first():
        try:
            with transaction.atomic():
                services.evidence_ingest(actor=None, items=[{**item, "external_id": "a"}])
                first_inserted.set()
                release_first.wait(timeout=30)
        except Exception as exc:  # reported to the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    def second():
        try:
            services.evidence_ingest(actor=None, items=[{**item, "external_id": "b"}])
        except Exception as exc:  # reported to the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    a = threading.Thread(target=first)
    a.start()
    assert first_inserted.wait(timeout=30)
    b = threading.Thread(target=second)
    b.start()
    # The second batch is now blocked on the first's uncommitted customer row.
    wait_for(_waiting_on_a_lock, message="the second batch to wait for the first")
    release_first.set()
    a.join(timeout=30)
    b.join(timeout=30)

    assert errors == []
    assert Customer.objects.filter(external_id="crm-77").count() == 1
    assert set(Evidence.objects.values_list("external_id", "customer__external_id")) == {
        ("a", "crm-77"),
        ("b", "crm-77"),
    }


def test_two_first_time_batches_of_the_same_new_ids_at_once_both_land_once(transactional_db):
    """The second batch's insert collides with the first's: it is tried again, as an update."""
    items = [
        {"source": "support", "text": f"ticket {n}", "external_id": f"t-{n}"} for n in range(3)
    ]
    first_inserted, release_first = threading.Event(), threading.Event()
    errors, results = [], []

    def first():
        try:
            with transaction.atomic():
                results.append(services.evidence_ingest(actor=None, items=items))
                first_inserted.set()
                release_first.wait(timeout=30)
        except Exception as exc:  # reported to the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    def second():
        try:
            results.append(services.evidence_ingest(actor=None, items=items))
        except Exception as exc:  # reported to the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    a = threading.Thread(target=first)
    a.start()
    assert first_inserted.wait(timeout=30)
    b = threading.Thread(target=second)
    b.start()
    # The second batch's insert now waits on the first's uncommitted rows.
    wait_for(_waiting_on_a_lock, message="the second batch to wait for the first")
    release_first.set()
    a.join(timeout=30)
    b.join(timeout=30)

    assert errors == []
    assert sorted((r.created, r.updated) for r in results) == [(0, 3), (3, 0)]
    assert Evidence.objects.filter(external_id__startswith="t-").count() == 3
