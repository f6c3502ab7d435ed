"""Reads of the metrics pages: latest values, period change, sparklines, history, readings.

Every function runs a fixed number of queries whatever the number of metrics
and readings; a long history is sampled through the index (metric_history),
so a metric with a million readings sends the page a few hundred points.

The change over the period: the latest reading against the last reading taken
before the current quarter began; a metric first read during the quarter is
compared with its first reading of the quarter (no change with one reading).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import (
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone

from access.roles import can_view
from okrs.models import KeyResult, Metric, MetricReading

# At most this many readings are drawn as they are; more are sampled (metric_history).
RAW_MAX = 400
# The steps a longer history is sampled at, finest first.
BUCKETS = [
    ("hour", timedelta(hours=1)),
    ("day", timedelta(days=1)),
    ("week", timedelta(days=7)),
    ("month", timedelta(days=30)),
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


# For each metric of a list and each time of a list: the value of the metric's
# last reading at or before that time, not before `since`. One index probe each.
SPARK_SQL = {
    "postgresql": (
        "SELECT m.id, w.at, (SELECT r.value FROM okrs_metricreading r WHERE r.metric_id = m.id"
        " AND r.observed_at >= %s AND r.observed_at <= w.at"
        " ORDER BY r.observed_at DESC, r.id DESC LIMIT 1)"
        " FROM okrs_metric m CROSS JOIN unnest(%s::timestamptz[]) AS w(at)"
        " WHERE m.id = ANY(%s) ORDER BY m.id, w.at"
    ),
    "sqlite": (
        "SELECT m.id, w.value, (SELECT r.value FROM okrs_metricreading r WHERE r.metric_id = m.id"
        " AND r.observed_at >= %s AND r.observed_at <= w.value"
        " ORDER BY r.observed_at DESC, r.id DESC LIMIT 1)"
        " FROM okrs_metric m, json_each(%s) AS w"
        " WHERE m.id IN (SELECT value FROM json_each(%s)) ORDER BY m.id, w.value"
    ),
}


def metric_sparklines(
    *, viewer, metric_ids, since: datetime | None = None, now: datetime | None = None
) -> dict[int, list[float]]:
    """Each metric's value at the end of each of the last 13 weeks (its last reading by
    then, from `since` on), oldest first. One query of one index probe per metric and
    week, whatever the number of readings."""
    ids = sorted(set(metric_ids))
    if not ids or not can_view(viewer):
        return {}
    now = now or timezone.now()
    since = since or now - timedelta(days=SPARK_DAYS)
    weeks = SPARK_DAYS // 7
    cuts = [now - timedelta(weeks=weeks - 1 - n) for n in range(weeks)]
    vendor = connection.vendor
    adapt = connection.ops.adapt_datetimefield_value
    if vendor == "postgresql":
        params = [since, cuts, ids]
    else:
        params = [adapt(since), json.dumps([adapt(c) for c in cuts]), json.dumps(ids)]
    out: dict[int, list[float]] = {metric_id: [] for metric_id in ids}
    with connection.cursor() as cursor:
        cursor.execute(SPARK_SQL[vendor], params)
        for metric_id, _at, value in cursor.fetchall():
            if value is not None:
                out[metric_id].append(value)
    return out


@dataclass(frozen=True)
class HistoryPoint:
    at: datetime
    value: float


@dataclass(frozen=True)
class History:
    points: list[HistoryPoint]
    bucket: str | None  # hour, day, week, month: one point each; None: every reading
    readings: int | None  # readings in the period when drawn as they are; None: more
    start: datetime | None  # the period's start (None: from the first reading)


def _bucket_for(span: timedelta) -> tuple[str, timedelta]:
    for name, length in BUCKETS:
        if span / length <= RAW_MAX:
            return name, length
    return BUCKETS[-1]


# For each time `t` of a list: the id of the metric's last reading at or before
# `t` (and not before the period's start). One index probe per point, not a scan.
SAMPLE_SQL = {
    "postgresql": (
        "SELECT (SELECT r.id FROM okrs_metricreading r WHERE r.metric_id = %s"
        " AND r.observed_at >= %s AND r.observed_at <= t.at"
        " ORDER BY r.observed_at DESC, r.id DESC LIMIT 1)"
        " FROM unnest(%s::timestamptz[]) AS t(at)"
    ),
    "sqlite": (
        "SELECT (SELECT r.id FROM okrs_metricreading r WHERE r.metric_id = %s"
        " AND r.observed_at >= %s AND r.observed_at <= t.value"
        " ORDER BY r.observed_at DESC, r.id DESC LIMIT 1)"
        " FROM json_each(%s) AS t"
    ),
}


def metric_history(*, viewer, metric: Metric, days: int | None, now=None) -> History:
    """A metric's readings over the last `days` (None: all), at most RAW_MAX points.

    Up to RAW_MAX readings are drawn as they are (one query). A longer history
    is sampled: the period is cut into hours, days, weeks or months (the finest
    that gives at most RAW_MAX of them) and each point is the last reading at
    or before a cut, found by one index probe per cut, so the cost grows with
    the points drawn, not with the readings stored (a million readings draw as
    fast as a thousand). A level such as NPS or churn reads right this way;
    a spike between two cuts is not drawn. Four queries at most.
    """
    if not can_view(viewer):
        return History([], None, 0, None)
    now = now or timezone.now()
    start = now - timedelta(days=days) if days else None
    qs = MetricReading.objects.filter(metric=metric)
    if start is not None:
        qs = qs.filter(observed_at__gte=start)
    first = list(
        qs.order_by("observed_at", "id").values_list("observed_at", "value")[: RAW_MAX + 1]
    )
    if len(first) <= RAW_MAX:
        return History([HistoryPoint(at, v) for at, v in first], None, len(first), start)
    span = qs.aggregate(first=Min("observed_at"), last=Max("observed_at"))
    name, length = _bucket_for(span["last"] - span["first"])
    cuts, cut = [], span["first"] + length
    while cut < span["last"]:
        cuts.append(cut)
        cut += length
    cuts.append(span["last"])
    vendor = connection.vendor
    adapt = connection.ops.adapt_datetimefield_value
    param = cuts if vendor == "postgresql" else json.dumps([adapt(c) for c in cuts])
    with connection.cursor() as cursor:
        cursor.execute(SAMPLE_SQL[vendor], [metric.pk, adapt(span["first"]), param])
        ids = {pk for (pk,) in cursor.fetchall() if pk is not None}
    rows = MetricReading.objects.filter(pk__in=ids).order_by("observed_at", "id")
    points = [HistoryPoint(at, v) for at, v in rows.values_list("observed_at", "value")]
    return History(points, name, None, start)


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
