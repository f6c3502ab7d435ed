"""The /okrs/ tree's charts read a bounded number of readings, however long the history."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from okrs.models import Metric, MetricReading
from okrs.selectors import readings_for_metrics
from tests.factories import MetricFactory, UserFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _history(metric: Metric, count: int) -> None:
    MetricReading.objects.bulk_create(
        MetricReading(metric=metric, value=n, observed_at=T0 + timedelta(hours=n))
        for n in range(count)
    )


def test_only_the_last_readings_of_each_metric_are_fetched(monkeypatch):
    viewer = UserFactory(groups=["product"])
    long, short, empty = MetricFactory(), MetricFactory(), MetricFactory()
    _history(long, 2_000)
    _history(short, 3)
    fetched = []
    original = MetricReading.from_db.__func__

    def counting_from_db(cls, db, field_names, values):
        fetched.append(1)
        return original(cls, db, field_names, values)

    monkeypatch.setattr(MetricReading, "from_db", classmethod(counting_from_db))
    with CaptureQueriesContext(connection) as queries:
        out = readings_for_metrics(
            viewer=viewer, metric_ids=[long.pk, short.pk, empty.pk], per_metric=60
        )
    reads = [q["sql"] for q in queries if "okrs_metricreading" in q["sql"]]
    assert len(reads) == 1  # the other query is the viewer's role
    assert "LIMIT" in reads[0].upper()
    assert len(fetched) == 60 + 3  # not the 2,003 readings stored
    assert [r.value for r in out[long.pk]] == list(range(1_940, 2_000))  # newest 60, oldest first
    assert [r.value for r in out[short.pk]] == [0, 1, 2]
    assert out[empty.pk] == []


def test_the_query_count_does_not_grow_with_the_metrics(django_assert_num_queries):
    viewer = UserFactory(groups=["product"])
    metrics = [MetricFactory() for _ in range(8)]
    for metric in metrics:
        _history(metric, 5)
    with django_assert_num_queries(2):
        out = readings_for_metrics(viewer=viewer, metric_ids=[m.pk for m in metrics], per_metric=2)
    assert {m.pk: [r.value for r in out[m.pk]] for m in metrics} == {m.pk: [3, 4] for m in metrics}
