"""The key result's chart in Chromium: the legend and the "Target" label never overlap."""

from datetime import UTC, datetime, timedelta

import pytest

from okrs import services
from tests.browser.conftest import log_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

T0 = datetime(2026, 10, 1, tzinfo=UTC)


def _box(page, selector):
    return page.locator(selector).first.bounding_box()


def _overlap(a, b) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


@pytest.mark.parametrize("width", [1440, 390])
def test_the_legend_does_not_cover_the_target_label(page, width):
    UserFactory(username="mia", groups=["marketing"])
    metric = services.metric_create(actor=None, key="nps", name="NPS")
    objective = services.objective_create(actor=None, title="Love", period="2026-Q4")
    kr = services.key_result_create(
        actor=None, objective=objective, title="NPS 28 to 45", metric=metric, start=28, target=45
    )
    services.metric_readings_ingest(
        actor=None,
        metric=metric,
        items=[{"value": 28 + n, "observed_at": T0 + timedelta(days=7 * n)} for n in range(9)],
    )
    services.check_in_create(
        actor=None,
        key_result=kr,
        value=38,
        confidence="on_track",
        checked_at=T0 + timedelta(days=60),
    )
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, "mia")
    page.goto(f"/okrs/key-results/{kr.pk}/")
    chart = page.locator("#kr-chart-title").locator("xpath=ancestor::section[1]")
    legend = _box(chart, ".tchart-legend")
    target = _box(chart, ".tchart-guide-label")
    plot = _box(chart, ".tchart-plot")
    assert legend
    assert target
    assert plot
    assert not _overlap(legend, target)
    assert legend["y"] + legend["height"] <= plot["y"]  # a row above the plot
    assert plot["y"] <= target["y"]
    assert target["y"] + target["height"] <= plot["y"] + plot["height"]
