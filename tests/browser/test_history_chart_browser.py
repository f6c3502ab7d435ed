"""The initiative's "Priority and rank over time" chart in Chromium: its axes read right."""

import pytest

from roadmap import services
from tests.browser.conftest import log_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_recent_history_has_distinct_time_labels_and_no_rank_zero(page):
    UserFactory(username="mia", groups=["marketing"])
    initiative = services.initiative_create(actor=None, title="SSO", reach=300)
    log_in(page, "mia")
    page.goto(f"/initiatives/{initiative.pk}/")
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.querySelector('canvas[data-chart=history]'))"
    )
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
