"""The metrics page (latest value, change since the quarter began, sparkline, key results)
and a metric's own page (history chart by period, downsampled; readings, keyset pages)."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from okrs.models import MetricReading
from okrs.selectors_metrics import RAW_MAX, metric_history, metric_sparklines, quarter_start
from tests.factories import KeyResultFactory, MetricFactory, MetricReadingFactory

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def _readings(metric, values_by_age_days):
    now = timezone.now()
    MetricReading.objects.bulk_create(
        MetricReading(metric=metric, value=v, observed_at=now - timedelta(days=age))
        for age, v in values_by_age_days
    )


def _metrics_with_history(count, readings_each):
    for n in range(count):
        metric = MetricFactory(key=f"m{n}")
        _readings(metric, [(day, n + day) for day in range(readings_each)])
        KeyResultFactory(metric=metric, title=f"KR on m{n}")


def test_metrics_page_shows_change_since_the_quarter_and_a_sparkline(product_client):
    nps = MetricFactory(key="nps", name="Net Promoter Score")
    since = quarter_start()
    now = timezone.now()
    MetricReadingFactory(metric=nps, value=30, observed_at=since - timedelta(days=3))
    MetricReadingFactory(metric=nps, value=99, observed_at=since - timedelta(days=30))
    MetricReadingFactory(metric=nps, value=36.5, observed_at=now)
    KeyResultFactory(metric=nps, title="Raise NPS to 45")
    html = product_client.get(reverse("okrs:metrics")).content.decode()
    assert "+6.5" in html  # 36.5 against 30, the last reading before the quarter
    assert 'class="change-good"' in html
    assert 'class="spark spark-' in html
    assert "Raise NPS to 45" in html
    assert reverse("okrs:metric", args=["nps"]) in html


def test_a_metric_first_read_this_quarter_compares_with_its_first_reading(product_client):
    churn = MetricFactory(key="churn", direction="decrease")
    since = quarter_start()
    MetricReadingFactory(metric=churn, value=4, observed_at=since + timedelta(minutes=1))
    MetricReadingFactory(metric=churn, value=5, observed_at=timezone.now())
    html = product_client.get(reverse("okrs:metrics")).content.decode()
    assert '<span class="change-bad">+1</span>' in html  # churn up is bad


def test_metrics_page_query_count_does_not_grow_with_metrics_or_readings(
    product_client, django_assert_max_num_queries
):
    _metrics_with_history(2, 3)
    with django_assert_max_num_queries(8) as small:
        product_client.get(reverse("okrs:metrics"))
    _metrics_with_history_more = [MetricFactory(key=f"x{n}") for n in range(20)]
    for metric in _metrics_with_history_more:
        _readings(metric, [(hours / 24, hours) for hours in range(200)])
        KeyResultFactory(metric=metric)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = product_client.get(reverse("okrs:metrics"))
    assert response.content.decode().count('class="spark spark-') == 22


def test_metric_page_charts_the_period_and_pages_readings_newest_first(
    product_client, django_assert_max_num_queries
):
    metric = MetricFactory(key="dau")
    _readings(metric, [(day, day) for day in range(120)])
    url = reverse("okrs:metric", args=["dau"])
    with django_assert_max_num_queries(12):
        html = product_client.get(url + "?period=30d").content.decode()
    assert "30 readings in this period" in html  # ages 0 to 29 days; 30 is just out
    assert html.count('class="tchart-dot"') == 30
    first = html.index("<time")
    assert "Older readings" in html
    newest = MetricReading.objects.filter(metric=metric).order_by("-observed_at").first()
    assert f'datetime="{newest.observed_at.isoformat()}"' in html[first : first + 200]
    assert 'aria-current="true">30 days' in html


def test_reading_pages_follow_each_other_without_gaps_or_repeats(product_client):
    metric = MetricFactory(key="dau")
    _readings(metric, [(day, day) for day in range(120)])
    url = reverse("okrs:metric", args=["dau"])
    seen, next_url = [], url
    while next_url:
        response = product_client.get(next_url, headers={**HTMX, "HX-Target": "metric-readings"})
        html = response.content.decode()
        assert 'id="metric-readings"' in html
        assert "<html" not in html
        seen += re.findall(r'<time datetime="([^"]+)"', html)
        older = re.search(r'hx-get="([^"]+)"[^>]*>Older readings', html)
        next_url = unescape(older.group(1)) if older else None
    assert len(seen) == 120
    assert len(set(seen)) == 120
    assert seen == sorted(seen, reverse=True)


def test_a_malformed_cursor_or_period_is_a_400(product_client):
    MetricFactory(key="dau")
    url = reverse("okrs:metric", args=["dau"])
    assert product_client.get(url + "?after=yesterday").status_code == 400
    assert product_client.get(url + "?period=5y").status_code == 400


def test_period_links_swap_only_the_chart(product_client, django_assert_max_num_queries):
    metric = MetricFactory(key="dau")
    _readings(metric, [(day, day) for day in range(500)])
    url = reverse("okrs:metric", args=["dau"])
    with django_assert_max_num_queries(12):  # as many as for 120 readings drawn as they are
        assert product_client.get(url + "?period=all").status_code == 200
    html = product_client.get(
        url + "?period=all", headers={**HTMX, "HX-Target": "metric-chart"}
    ).content.decode()
    assert html.lstrip().startswith('<section class="card" id="metric-chart"')
    assert "More than 400 readings in this period, drawn as the last reading of each week" in html


def test_a_long_history_is_sampled_through_the_index(product_client):
    metric = MetricFactory(key="events")
    now = timezone.now()
    MetricReading.objects.bulk_create(
        MetricReading(metric=metric, value=n % 7, observed_at=now - timedelta(minutes=10 * n))
        for n in range(2_000)
    )
    history = metric_history(viewer=product_client_user(product_client), metric=metric, days=None)
    assert history.bucket == "hour"
    assert len(history.points) <= RAW_MAX
    stored = dict(MetricReading.objects.filter(metric=metric).values_list("observed_at", "value"))
    assert all(stored[p.at] == p.value for p in history.points)  # real readings, sampled
    newest = max(stored)
    assert history.points[-1].at == newest  # the history ends at the latest reading
    assert [p.at for p in history.points] == sorted({p.at for p in history.points})


def product_client_user(client):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(pk=client.session["_auth_user_id"])


def test_a_sparkline_is_the_value_at_the_end_of_each_week(product_client):
    metric = MetricFactory(key="nps")
    now = timezone.now()
    for age, value in ((timedelta(days=200), 99), (timedelta(days=20), 1), (timedelta(days=6), 5)):
        MetricReadingFactory(metric=metric, value=value, observed_at=now - age)
    MetricReadingFactory(metric=metric, value=7, observed_at=now - timedelta(hours=1))
    viewer = product_client_user(product_client)
    series = metric_sparklines(viewer=viewer, metric_ids=[metric.pk], now=now)
    assert series == {metric.pk: [1, 1, 7]}  # weeks before the first reading in 13 weeks: none
