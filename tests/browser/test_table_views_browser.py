"""Sorting the priority table by a column and saving the view, in a real Chromium."""

import pytest
from playwright.sync_api import expect

from roadmap import services
from saved_views.models import SavedView
from tests.browser.conftest import log_in
from tests.factories import InitiativeFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def table(db):
    UserFactory(username="pat", groups=["product"])
    UserFactory(username="mia", groups=["marketing"])
    InitiativeFactory(title="Big reach", reach=900, effort=9, team="Core")
    InitiativeFactory(title="Small reach", reach=5, effort=1, team="Core")
    InitiativeFactory(title="Web thing", reach=50, effort=2, team="Web")
    services.initiatives_rescore_marked()


def _titles(page) -> list[str]:
    return page.locator("#priority-table th.title-cell > a").all_inner_texts()


def test_sort_by_a_column_filter_and_save_the_view_for_the_team(page, table, shoot):
    log_in(page, "pat")
    page.goto("/priorities/")
    reach = page.locator("#priority-table thead th", has_text="Reach")
    reach.get_by_role("link").click()
    expect(reach).to_have_attribute("aria-sort", "descending")
    expect(page).to_have_url(page.url.split("?")[0] + "?sort=-reach")
    assert _titles(page) == ["Big reach", "Web thing", "Small reach"]
    page.locator("#priority-table thead th", has_text="Reach").get_by_role("link").click()
    expect(page.locator("#priority-table thead th", has_text="Reach")).to_have_attribute(
        "aria-sort", "ascending"
    )
    assert _titles(page) == ["Small reach", "Web thing", "Big reach"]

    # A filter keeps the sort.
    page.get_by_label("Team", exact=True).select_option("Core")
    expect(page.locator("#priority-table tbody")).to_have_count(2)
    assert _titles(page) == ["Small reach", "Big reach"]

    page.get_by_text("Save view").click()
    page.get_by_label("Name").fill("Core, least reach first")
    page.get_by_label("Share with the team").check()
    shoot(page, "save-view-form", full_page=False)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Saved “Core, least reach first” for the team.")).to_be_visible()
    view = SavedView.objects.get()
    assert view.query == "sort=reach&team=Core"
    assert view.shared

    # Someone else on the team opens it from the navigation.
    page.get_by_role("button", name="Log out").click()
    log_in(page, "mia")
    page.get_by_role("link", name="Core, least reach first").click()
    expect(page.locator("#priority-table thead th", has_text="Reach")).to_have_attribute(
        "aria-sort", "ascending"
    )
    assert _titles(page) == ["Small reach", "Big reach"]
    expect(page.get_by_label("Team", exact=True)).to_have_value("Core")
    shoot(page, "saved-view-opened")
