"""Reads of the metrics pages: latest values, period change, sparklines, history, readings.

Every function runs a fixed number of queries whatever the number of metrics
and readings; histories are downsampled by the database (GROUP BY a truncated
date), so a metric with a million readings sends the page a few hundred points.

The change over the period: the latest reading against the last reading taken
before the current quarter began; a metric first read during the quarter is
compared with its first reading of the quarter (no change with one reading).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import (
    Avg,
    Count,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import TruncDay, TruncHour, TruncMonth, TruncWeek
from django.utils import timezone

from access.roles import can_view
from okrs.models import KeyResult, Metric, MetricReading

# At most this many readings are drawn as they are; more are averaged in buckets.
RAW_MAX = 400
# The bucket sizes a history may be drawn in, finest first, with their length.
BUCKETS = [
    ("hourly", TruncHour, timedelta(hours=1)),
    ("daily", TruncDay, timedelta(days=1)),
    ("weekly", TruncWeek, timedelta(days=7)),
    ("monthly", TruncMonth, timedelta(days=31)),
]
# The periods a metric's chart can show (the last N days; None: everything).
PERIODS = {"30d": 30, "90d": 90, "1y": 365, "all": None}
DEFAULT_PERIOD = "90d"
SPARK_DAYS = 91
READINGS_PAGE = 50


def quarter_start(now: datetime | None = None) -> datetime:
    """The first instant of the current quarter in the site's time zone."""
    local = timezone.localtime(now or timezone.now())
    month = (local.month - 1) // 3 * 3 + 1
    return local.replace(month=month, day=1, hour=0, minute=0, second=0, microsecond=0)


def metric_board(*, viewer, since: datetime | None = None) -> QuerySet[Metric]:
    """Metrics with `latest_value`, `latest_at`, `baseline_value` (see the module docstring)
    and the key results tracking them (with their objectives): two queries."""
    since = since or quarter_start()
    readings = MetricReading.objects.filter(metric=OuterRef("pk"))
    newest = readings.order_by("-observed_at", "-id")
    before = newest.filter(observed_at__lt=since)
    first_in = readings.filter(observed_at__gte=since).order_by("observed_at", "id")
    qs = Metric.objects.annotate(
        latest_value=Subquery(newest.values("value")[:1]),
        latest_at=Subquery(newest.values("observed_at")[:1]),
        baseline_value=Subquery(before.values("value")[:1]),
        first_value=Subquery(first_in.values("value")[:1]),
        first_id=Subquery(first_in.values("id")[:1]),
        latest_id=Subquery(newest.values("id")[:1]),
    ).prefetch_related(
        Prefetch(
            "key_results",
            queryset=KeyResult.objects.select_related("objective").order_by(
                "objective__title", "id"
            ),
        )
    )
    return qs if can_view(viewer) else qs.none()


def period_change(metric: Metric) -> float | None:
    """The latest value minus the period's baseline, on a row of `metric_board`."""
    if metric.latest_value is None:
        return None
    if metric.baseline_value is not None:
        return metric.latest_value - metric.baseline_value
    if metric.first_value is None or metric.first_id == metric.latest_id:
        return None
    return metric.latest_value - metric.first_value


def metric_sparklines(
    *, viewer, metric_ids, since: datetime | None = None
) -> dict[int, list[float]]:
    """Weekly means of each metric's readings since `since` (13 weeks ago), oldest first.
    One query whatever the number of metrics and readings."""
    ids = set(metric_ids)
    if not ids or not can_view(viewer):
        return {}
    since = since or timezone.now() - timedelta(days=SPARK_DAYS)
    rows = (
        MetricReading.objects.filter(metric_id__in=ids, observed_at__gte=since)
        .annotate(bucket=TruncWeek("observed_at"))
        .values("metric_id", "bucket")
        .annotate(mean=Avg("value"))
        .order_by("metric_id", "bucket")
    )
    out: dict[int, list[float]] = {metric_id: [] for metric_id in ids}
    for row in rows:
        out[row["metric_id"]].append(row["mean"])
    return out


@dataclass(frozen=True)
class HistoryPoint:
    at: datetime  # the reading's time; for a bucket, its latest reading's
    value: float  # the reading's value; for a bucket, the mean of its readings
    count: int  # readings behind the point


@dataclass(frozen=True)
class History:
    points: list[HistoryPoint]
    bucket: str | None  # hourly, daily, weekly, monthly; None: every reading as it is
    readings: int  # readings in the period
    start: datetime | None  # the period's start (None: from the first reading)


def _bucket_for(span: timedelta):
    for name, trunc, length in BUCKETS:
        if span / length <= RAW_MAX:
            return name, trunc
    return BUCKETS[-1][0], BUCKETS[-1][1]


def metric_history(*, viewer, metric: Metric, days: int | None, now=None) -> History:
    """A metric's readings over the last `days` (None: all), downsampled in the database.

    Two queries: the period's count and span, then its points (the readings
    themselves up to RAW_MAX, else one point per hour, day, week or month, the
    finest that keeps the points at or under RAW_MAX).
    """
    if not can_view(viewer):
        return History([], None, 0, None)
    now = now or timezone.now()
    start = now - timedelta(days=days) if days else None
    qs = MetricReading.objects.filter(metric=metric)
    if start is not None:
        qs = qs.filter(observed_at__gte=start)
    stats = qs.aggregate(n=Count("id"), first=Min("observed_at"), last=Max("observed_at"))
    if not stats["n"]:
        return History([], None, 0, start)
    if stats["n"] <= RAW_MAX:
        points = [
            HistoryPoint(at, value, 1)
            for at, value in qs.order_by("observed_at", "id").values_list("observed_at", "value")
        ]
        return History(points, None, stats["n"], start)
    name, trunc = _bucket_for(stats["last"] - stats["first"])
    rows = (
        qs.annotate(bucket=trunc("observed_at"))
        .values("bucket")
        .annotate(mean=Avg("value"), at=Max("observed_at"), n=Count("id"))
        .order_by("bucket")
    )
    points = [HistoryPoint(row["at"], row["mean"], row["n"]) for row in rows]
    return History(points, name, stats["n"], start)


@dataclass(frozen=True)
class ReadingPage:
    readings: list[MetricReading]
    next_cursor: str | None


def parse_cursor(raw: str) -> tuple[datetime, int]:
    """`<ISO time>_<id>` of the last reading of the previous page; ValueError if malformed."""
    at, _, pk = raw.rpartition("_")
    moment = datetime.fromisoformat(at)
    if moment.tzinfo is None:
        raise ValueError("The cursor's time has no time zone.")
    return moment, int(pk)


def reading_page(
    *, viewer, metric: Metric, after: tuple[datetime, int] | None = None, size: int = READINGS_PAGE
) -> ReadingPage:
    """One page of a metric's readings, newest first, after the cursor (keyset: one query,
    as fast on the last page as on the first, and stable while readings arrive)."""
    if not can_view(viewer):
        return ReadingPage([], None)
    qs = MetricReading.objects.filter(metric=metric).order_by("-observed_at", "-id")
    if after is not None:
        at, pk = after
        qs = qs.filter(Q(observed_at__lt=at) | Q(observed_at=at, id__lt=pk))
    rows = list(qs.only("id", "value", "observed_at", "source", "external_id")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    cursor = f"{rows[-1].observed_at.isoformat()}_{rows[-1].pk}" if more else None
    return ReadingPage(rows, cursor)
