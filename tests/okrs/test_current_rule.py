"""A key result's current is the value observed last across readings and check-ins."""

from datetime import UTC, datetime

import pytest

from audit.models import AuditEntry
from okrs import services
from okrs.models import CheckIn, KeyResult, MetricReading

pytestmark = pytest.mark.django_db

DAY1 = datetime(2026, 11, 1, tzinfo=UTC)
DAY2 = datetime(2026, 11, 2, tzinfo=UTC)
DAY3 = datetime(2026, 11, 3, tzinfo=UTC)


@pytest.fixture
def kr():
    metric = services.metric_create(actor=None, key="nps", name="NPS")
    objective = services.objective_create(actor=None, title="Love", period="2026-Q4")
    return services.key_result_create(
        actor=None, objective=objective, title="NPS 30 to 50", metric=metric, start=30, target=50
    )


def _reading(kr, value, at, ext=None):
    services.metric_readings_ingest(
        actor=None,
        metric=kr.metric,
        items=[{"value": value, "observed_at": at, "external_id": ext}],
    )


def _current(kr):
    return KeyResult.objects.get(pk=kr.pk).current


def test_a_late_reading_with_an_older_time_is_kept_but_does_not_overwrite_a_check_in(kr):
    services.check_in_create(
        actor=None, key_result=kr, value=45, confidence="on_track", checked_at=DAY2
    )
    _reading(kr, 35, DAY1)  # arrives after the check-in, about an earlier day
    assert _current(kr) == 45
    assert MetricReading.objects.filter(metric=kr.metric, value=35).exists()
    _reading(kr, 48, DAY3)  # newer than the check-in: it wins
    assert _current(kr) == 48
    assert KeyResult.objects.get(pk=kr.pk).progress == pytest.approx(0.9)


def test_a_late_check_in_with_an_older_time_is_kept_but_does_not_overwrite_a_reading(kr):
    _reading(kr, 40, DAY2)
    version = KeyResult.objects.get(pk=kr.pk).version
    late = services.check_in_create(
        actor=None, key_result=kr, value=32, confidence="at_risk", checked_at=DAY1, note="late"
    )
    assert CheckIn.objects.filter(pk=late.pk, value=32, note="late").exists()
    stored = KeyResult.objects.get(pk=kr.pk)
    assert stored.current == 40
    # Confidence is a check-in's only: the newest check-in's, even when a reading is newer.
    assert stored.confidence == "at_risk"
    services.check_in_create(
        actor=None, key_result=kr, value=42, confidence="on_track", checked_at=DAY3
    )
    stored = KeyResult.objects.get(pk=kr.pk)
    assert (stored.current, stored.confidence) == (42, "on_track")
    assert stored.version > version


def test_a_late_check_in_changes_nothing_aligned(kr):
    _reading(kr, 40, DAY2)
    announced = []
    services.on_key_results_changed(lambda ids, trigger: announced.append(ids))
    try:
        services.check_in_create(
            actor=None, key_result=kr, value=32, confidence="on_track", checked_at=DAY1
        )
    finally:
        services._key_result_listeners.pop()
    assert announced == []


def test_a_reading_resent_with_a_newer_time_takes_over(kr):
    services.check_in_create(
        actor=None, key_result=kr, value=45, confidence="on_track", checked_at=DAY2
    )
    _reading(kr, 35, DAY1, ext="r1")
    assert _current(kr) == 45
    _reading(kr, 36, DAY3, ext="r1")  # the same reading, corrected: now the newest value
    assert _current(kr) == 36
    assert MetricReading.objects.filter(metric=kr.metric).count() == 1


def test_a_check_in_is_audited_and_a_retry_with_its_external_id_changes_the_same_row(kr):
    first = services.check_in_record(
        actor=None, key_result=kr, value=40, confidence="on_track", external_id="c-1"
    )
    again = services.check_in_record(
        actor=None, key_result=kr, value=40, confidence="on_track", external_id="c-1"
    )
    fixed = services.check_in_record(
        actor=None, key_result=kr, value=41, confidence="at_risk", external_id="c-1"
    )
    assert (first.created, again.created, fixed.created) == (True, False, False)
    assert CheckIn.objects.filter(key_result=kr).count() == 1
    assert _current(kr) == 41
    entries = AuditEntry.objects.filter(content_type__model="checkin").order_by("id")
    assert [e.action for e in entries] == ["create", "update"]
    assert entries[1].changes == {"value": [40.0, 41.0], "confidence": ["on_track", "at_risk"]}
    assert entries[0].related_to == f"okrs.objective:{kr.objective_id}"
