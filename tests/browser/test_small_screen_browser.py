"""At 390 x 844 every page is usable: the navigation folds into a menu, nothing spills sideways."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.factories import (
    CustomerFactory,
    EvidenceFactory,
    InitiativeFactory,
    ObjectiveFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
NAV_LINKS = ["Roadmap", "Priorities", "OKRs", "Metrics", "Alignment", "Activity", "Evidence"]


@pytest.fixture
def world(db):
    UserFactory(username="pat", groups=["product"])
    objective = ObjectiveFactory(title="Grow revenue inside existing accounts")
    initiative = InitiativeFactory(title="Usage-based upgrades", lane="now")
    EvidenceFactory(text="We need SSO", customer=CustomerFactory(name="Globex"))
    return {"objective": objective, "initiative": initiative}


def _pages(world) -> dict[str, str]:
    return {
        "board": "/",
        "timeline": "/roadmap/timeline/",
        "priorities": "/priorities/",
        "initiative": f"/initiatives/{world['initiative'].pk}/",
        "okrs": "/okrs/",
        "objective": f"/okrs/objectives/{world['objective'].pk}/",
        "metrics": "/okrs/metrics/",
        "alignment": "/alignment/",
        "activity": "/activity/",
        "evidence": "/evidence/",
        "customers": "/customers/",
        "scoring": "/scoring/",
        "capacity": "/roadmap/timeline/capacity/",
        "new initiative": "/initiatives/new/",
        "import evidence": "/imports/evidence/",
        "webhooks": "/webhooks/",
        "api keys": "/settings/api-keys/",
        "saved views": "/views/",
    }


def _nav_link(page, name):
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True)


def test_the_menu_opens_every_link_on_a_phone_and_no_page_scrolls_sideways(page, world, shoot):
    log_in(page, "pat")
    page.set_viewport_size(PHONE)
    for name, path in _pages(world).items():
        page.goto(path)
        toggle = page.get_by_role("button", name="Menu")
        expect(toggle).to_be_visible()
        expect(toggle).to_have_attribute("aria-expanded", "false")
        expect(_nav_link(page, "Evidence")).to_be_hidden()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
        shoot(page, f"phone-{name}", full_page=False)

        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")
        for label in NAV_LINKS:
            link = _nav_link(page, label)
            expect(link).to_be_visible()
            box = link.bounding_box()
            assert box["x"] >= 0, (name, label)
            assert box["x"] + box["width"] <= PHONE["width"], (name, label)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
        if name == "board":
            shoot(page, "phone-menu-open", full_page=False)
        page.keyboard.press("Escape")
        expect(toggle).to_have_attribute("aria-expanded", "false")
        expect(_nav_link(page, "Evidence")).to_be_hidden()

    page.goto("/")
    page.get_by_role("button", name="Menu").click()
    _nav_link(page, "Evidence").click()
    page.wait_for_url("**/evidence/")
    expect(page.locator("h1").first).to_be_visible()


def test_without_javascript_the_links_wrap_instead_of_hiding(chromium, live_server, world):
    context = chromium.new_context(
        viewport=PHONE, base_url=live_server.url, java_script_enabled=False
    )
    try:
        page = context.new_page()
        log_in(page, "pat")
        page.goto("/priorities/")
        expect(page.get_by_role("button", name="Menu")).to_be_hidden()
        for label in NAV_LINKS:
            box = _nav_link(page, label).bounding_box()
            assert box is not None, label
            assert box["x"] >= 0, label
            assert box["x"] + box["width"] <= PHONE["width"], label
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()
