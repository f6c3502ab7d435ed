"""Long pages load the rest on demand, in a real Chromium: the board's "Show more" and the
charts of the OKR tree, drawn as they scroll into view."""

import importlib

import pytest
from playwright.sync_api import expect

from okrs import services as okr_services
from roadmap import services
from tests.browser.conftest import log_in
from tests.factories import (
    InitiativeFactory,
    KeyResultFactory,
    ObjectiveFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_show_more_appends_the_next_cards_of_a_lane_and_they_still_move(page, monkeypatch, shoot):
    # The module, not the view of the same name that roadmap.views exports.
    monkeypatch.setattr(importlib.import_module("roadmap.views.board"), "LANE_CARDS", 3)
    UserFactory(username="pat", groups=["product"])
    for n in range(7):
        InitiativeFactory(title=f"Later {n}", reach=1000 - n, lane="later")
    services.initiatives_rescore_marked()
    log_in(page, "pat")
    page.goto("/roadmap/")
    lane = page.locator("#lane-list-later")
    expect(lane.locator("[data-card]")).to_have_count(3)
    more = page.locator("#lane-more-later")
    expect(more).to_contain_text("3 of 7 shown")
    more.get_by_role("button", name="Show 3 more").click()
    expect(lane.locator("[data-card]")).to_have_count(6)
    expect(more).to_contain_text("6 of 7 shown")
    more.get_by_role("button", name="Show 1 more").click()
    expect(lane.locator("[data-card]")).to_have_count(7)
    expect(more.get_by_role("button")).to_have_count(0)
    titles = lane.locator(".card-title").all_inner_texts()
    assert titles == [f"Later {n}" for n in range(7)]  # in rank order, none twice
    shoot(page, "board-show-more", full_page=False)

    # A card that came with "Show more" moves like the others.
    card = lane.locator("[data-card]").nth(6)
    card.get_by_label("Move “Later 6” to").select_option("now")
    card.get_by_role("button", name="Move").click()
    expect(page.locator("#board .board-status")).to_have_text("Moved “Later 6” to Now.")
    expect(page.locator("#lane-list-now")).to_contain_text("Later 6")


def test_the_okr_tree_draws_each_chart_as_it_scrolls_into_view(page, shoot):
    UserFactory(username="pat", groups=["product"])
    objective = ObjectiveFactory(title="Grow")
    krs = [KeyResultFactory(objective=objective, title=f"KR {n}") for n in range(12)]
    okr_services.check_in_create(
        actor=None, key_result=krs[-1], value=5, confidence="on_track", note="first"
    )
    log_in(page, "pat")
    page.set_viewport_size({"width": 1440, "height": 700})
    page.goto("/okrs/")
    first = page.locator(f"#kr-{krs[0].pk} .kr-chart")
    expect(first.locator(".chart-empty, svg.tchart-svg")).to_have_count(1)
    expect(first).not_to_have_attribute("aria-busy", "true")  # swapped for the drawn one
    last = page.locator(f"#kr-{krs[-1].pk} .kr-chart")
    expect(last.locator("svg.tchart-svg")).to_have_count(0)  # below the fold: not yet drawn
    last.scroll_into_view_if_needed()
    expect(last.locator("svg.tchart-svg")).to_have_count(1)
    expect(last).to_contain_text("Check-ins")
    shoot(page, "okrs-lazy-chart", full_page=False)
