import pytest
from django.core.exceptions import ValidationError

from okrs import services
from okrs.models import MetricReading, Objective
from tests.factories import KeyResultFactory, MetricFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db


def test_objective_weight_must_be_positive():
    with pytest.raises(ValidationError) as caught:
        services.objective_create(actor=None, title="Grow", period="2026-Q4", weight=0)
    assert caught.value.message_dict["weight"] == ["Must be more than 0."]
    assert not Objective.objects.exists()


def test_objective_period_must_be_a_quarter():
    with pytest.raises(ValidationError) as caught:
        services.objective_create(actor=None, title="Grow", period="2026-13")
    assert caught.value.message_dict["period"] == ["Enter a quarter like 2026-Q4."]


def test_stale_version_changes_nothing():
    objective = ObjectiveFactory(title="Before")
    services.objective_update(actor=None, objective=objective, data={"title": "A"})
    with pytest.raises(services.StaleVersion) as caught:
        services.objective_update(
            actor=None, objective=objective, data={"title": "B"}, expected_version=1
        )
    objective.refresh_from_db()
    assert objective.title == "A"
    assert objective.version == 2
    assert caught.value.current.title == "A"


def test_key_result_on_a_metric_starts_from_its_latest_reading():
    metric = MetricFactory(key="dau")
    services.metric_readings_ingest(actor=None, metric=metric, items=[{"value": 120}])
    kr = services.key_result_create(
        actor=None,
        objective=ObjectiveFactory(),
        title="DAU to 200",
        metric=metric,
        start=100,
        target=200,
    )
    assert kr.current == 120
    assert kr.progress == pytest.approx(0.2)


def test_readings_are_idempotent_by_external_id_and_latest_wins():
    metric = MetricFactory(key="churn_rate")
    kr = KeyResultFactory(metric=metric, kind="decrease", start=4, target=2, current=4)
    items = [
        {"value": 3.5, "external_id": "w1", "observed_at": "2026-11-01T00:00:00Z"},
        {"value": 3.0, "external_id": "w2", "observed_at": "2026-11-08T00:00:00Z"},
    ]
    services.metric_readings_ingest(actor=None, metric=metric, items=items)
    result = services.metric_readings_ingest(actor=None, metric=metric, items=items)
    assert (result.created, result.updated) == (0, 2)
    assert MetricReading.objects.count() == 2
    kr.refresh_from_db()
    assert (kr.current, kr.progress) == (3.0, 0.5)


def test_an_older_check_in_does_not_overwrite_the_current_value():
    kr = KeyResultFactory(start=0, target=10)
    services.check_in_create(actor=None, key_result=kr, value=6, confidence="on_track")
    services.check_in_create(
        actor=None,
        key_result=kr,
        value=2,
        confidence="off_track",
        checked_at=kr.check_ins.first().checked_at.replace(year=2020),
    )
    kr.refresh_from_db()
    assert kr.current == 6
    assert kr.check_ins.count() == 2


def test_check_in_with_unknown_confidence_is_refused():
    kr = KeyResultFactory()
    with pytest.raises(ValidationError) as caught:
        services.check_in_create(actor=None, key_result=kr, value=1, confidence="meh")
    assert "confidence" in caught.value.message_dict
    assert kr.check_ins.count() == 0
