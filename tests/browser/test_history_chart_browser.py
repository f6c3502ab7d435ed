"""The initiative's "Priority and rank over time" chart in Chromium: its axes read right."""

from datetime import timedelta

import pytest
from django.utils import timezone

from roadmap import services
from roadmap.models import ScoreSnapshot
from tests.browser.conftest import log_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _open_chart(page, initiative) -> None:
    """The initiative's page, as marketing's mia, once Chart.js has drawn its history chart."""
    log_in(page, "mia")
    page.goto(f"/initiatives/{initiative.pk}/")
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.querySelector('canvas[data-chart=history]'))"
    )


def test_a_recent_history_has_distinct_time_labels_and_no_rank_zero(page):
    UserFactory(username="mia", groups=["marketing"])
    initiative = services.initiative_create(actor=None, title="SSO", reach=300)
    _open_chart(page, initiative)
    axes = page.evaluate(
        """() => {
            const chart = Chart.getChart(document.querySelector('canvas[data-chart=history]'));
            return {
                labels: chart.scales.x.ticks.map((tick) => tick.label),
                rankMin: chart.scales.rank.min,
            };
        }"""
    )
    # Seconds old: the labels carry seconds, so no two ticks read the same.
    assert axes["labels"]
    assert len(set(axes["labels"])) == len(axes["labels"]), axes["labels"]
    assert axes["rankMin"] == 1


def test_a_score_is_drawn_flat_until_the_rescore_that_moved_it(page):
    """Between two snapshots the line stays at the older score (a step at the newer one).

    Chart.js's `stepped: "after"` drew the step at the older point instead, so
    the chart showed every new score from the time of the one before it.
    """
    UserFactory(username="mia", groups=["marketing"])
    initiative = services.initiative_create(actor=None, title="SSO", reach=300)
    services.initiative_update(actor=None, initiative=initiative, data={"reach": 900})
    first, second = ScoreSnapshot.objects.filter(initiative=initiative).order_by("id")
    now = timezone.now()
    ScoreSnapshot.objects.filter(pk=first.pk).update(created_at=now - timedelta(days=2))
    ScoreSnapshot.objects.filter(pk=second.pk).update(created_at=now - timedelta(days=1))
    assert first.priority_score < second.priority_score
    _open_chart(page, initiative)
    # Half-way between the two snapshots (36 hours ago): which rows of that
    # column of the canvas are the priority line's colour.
    drawn = page.evaluate(
        """([when, older, newer]) => {
            const chart = Chart.getChart(document.querySelector('canvas[data-chart=history]'));
            const ratio = chart.currentDevicePixelRatio;
            const x = Math.round(chart.scales.x.getPixelForValue(when) * ratio);
            const colour = chart.data.datasets[0].borderColor;
            const probe = document.createElement('canvas').getContext('2d');
            probe.fillStyle = colour;
            probe.fillRect(0, 0, 1, 1);
            const [r, g, b] = probe.getImageData(0, 0, 1, 1).data;
            const { top, bottom } = chart.chartArea;
            const column = chart.ctx.getImageData(x, top * ratio, 1, (bottom - top) * ratio).data;
            const rows = [];
            for (let i = 0; i < column.length; i += 4) {
                const near = Math.abs(column[i] - r) + Math.abs(column[i + 1] - g)
                    + Math.abs(column[i + 2] - b);
                if (column[i + 3] > 200 && near < 60) rows.push(top + i / 4 / ratio);
            }
            return {
                rows,
                older: chart.scales.y.getPixelForValue(older),
                newer: chart.scales.y.getPixelForValue(newer),
            };
        }""",
        [
            (now - timedelta(hours=36)).timestamp() * 1000,
            first.priority_score,
            second.priority_score,
        ],
    )
    assert drawn["rows"], drawn
    assert all(abs(row - drawn["older"]) <= 3 for row in drawn["rows"]), drawn
