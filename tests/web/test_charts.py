"""The server-drawn charts (web.charts): pure geometry, table-driven."""

from datetime import UTC, datetime, timedelta

import pytest

from web.charts import Point, Series, format_value, sparkline, time_chart

T0 = datetime(2026, 10, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "text"),
    [(45.0, "45"), (0.125, "0.125"), (12_345, "12.3k"), (2_500_000, "2.5M"), (-3.25, "-3.25")],
)
def test_values_are_labelled_compactly(value, text):
    assert format_value(value) == text


def test_a_line_spans_the_box_from_first_to_last_point():
    chart = time_chart(
        [Series("nps", [Point(T0, 30), Point(T0 + timedelta(days=10), 40)])], label="NPS"
    )
    (series,) = chart.series
    assert series.path == "M0 1000L1000 0"
    assert [(m.x, m.y) for m in series.markers] == [(0, 1000), (1000, 0)]
    assert chart.y_ticks[0].label == "30"
    assert chart.y_ticks[-1].label == "40"


def test_steps_hold_each_value_until_the_next_point():
    chart = time_chart(
        [
            Series(
                "kr",
                [Point(T0, 0), Point(T0 + timedelta(days=1), 10), Point(T0 + timedelta(days=2), 5)],
                style="steps",
            )
        ],
        label="KR",
    )
    assert chart.series[0].path == "M0 1000H500V0H1000V500"


def test_series_share_one_time_axis_and_a_guide_widens_the_value_range():
    chart = time_chart(
        [
            Series("readings", [Point(T0, 10), Point(T0 + timedelta(days=4), 20)]),
            Series("check-ins", [Point(T0 + timedelta(days=2), 15, "on track")], style="points"),
        ],
        guides=[("Target", 40)],
        label="KR",
    )
    _, check_ins = chart.series
    assert check_ins.path == ""
    assert check_ins.markers[0].x == 500
    assert "on track" in check_ins.markers[0].title
    assert chart.guides[0].y == 0
    assert chart.y_ticks[-1].label == "40"


def test_the_time_axis_is_labelled_with_round_dates():
    chart = time_chart([Series("m", [Point(T0, 1), Point(T0 + timedelta(days=90), 2)])], label="m")
    assert [t.label for t in chart.x_ticks] == ["Oct 2026", "Nov 2026", "Dec 2026"]
    assert chart.x_ticks[0].pos == 0
    days = time_chart([Series("m", [Point(T0, 1), Point(T0 + timedelta(days=5), 2)])], label="m")
    assert days.x_ticks[0].label == "Oct 1"
    assert len(days.x_ticks) == 6


def test_a_chart_without_points_says_so():
    assert time_chart([Series("m", [])], label="m").empty


def test_long_series_are_drawn_as_a_line_without_markers():
    points = [Point(T0 + timedelta(hours=i), i) for i in range(500)]
    assert time_chart([Series("m", points)], label="m").series[0].markers == []


@pytest.mark.parametrize(
    ("values", "trend"), [([1, 2, 3], "up"), ([3, 1], "down"), ([2, 5, 2], "flat"), ([7], "flat")]
)
def test_sparkline_trend(values, trend):
    spark = sparkline(values, label="x")
    assert spark.trend == trend
    assert spark.path.startswith("M0 ")
    assert spark.last.title == format_value(values[-1])


def test_sparkline_without_values_is_empty():
    assert sparkline([], label="x").empty


def test_a_guide_at_the_top_of_the_plot_is_labelled_below_its_line():
    points = [Point(T0, 30), Point(T0 + timedelta(days=10), 40)]
    top = time_chart([Series("nps", points)], guides=[("Target", 45)], label="NPS")
    low = time_chart([Series("nps", points)], guides=[("Target", 32)], label="NPS")
    assert top.guides[0].pos == 0
    assert top.guides[0].below
    assert not low.guides[0].below


def test_the_legend_is_a_row_above_the_plot_not_over_it():
    from django.template.loader import render_to_string

    chart = time_chart(
        [
            Series("Readings", [Point(T0, 30), Point(T0 + timedelta(days=10), 40)]),
            Series("Check-ins", [Point(T0 + timedelta(days=5), 35)], style="points"),
        ],
        guides=[("Target", 45)],
        label="NPS",
    )
    html = render_to_string("components/time_chart.html", {"chart": chart})
    assert html.index('class="tchart-legend"') < html.index('class="tchart-plot"')
    assert 'class="tchart-guide-label is-below"' in html
