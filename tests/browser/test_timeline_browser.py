"""The timeline in a real Chromium: drag a bar to another quarter, stretch it, schedule by drag."""

import pytest
from playwright.sync_api import expect

from roadmap import services
from roadmap.models import Initiative, TeamCapacity
from tests.browser.conftest import log_in
from tests.factories import InitiativeFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WINDOW = "/roadmap/timeline/?start=2026-Q1"  # 2026-Q1 .. 2027-Q2


@pytest.fixture
def plan(db):
    UserFactory(username="pat", groups=["product"])
    UserFactory(username="mia", groups=["marketing"])
    sso = InitiativeFactory(
        title="SSO for enterprise",
        team="Platform",
        effort=6,
        start_quarter="2026-Q2",
        end_quarter="2026-Q3",
    )
    InitiativeFactory(
        title="Audit log", team="Platform", effort=4, start_quarter="2026-Q4", end_quarter="2026-Q4"
    )
    digest = InitiativeFactory(title="Weekly digest", team="Growth", effort=2, lane="later")
    TeamCapacity.objects.create(team="Platform", quarter="2026-Q4", person_months=5)
    services.initiatives_rescore_marked()
    return {"sso": sso, "digest": digest}


def _drag(page, source, dx: float, dy: float = 0):
    box = source.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx / 4, y + dy / 4, steps=3)
    page.mouse.move(x + dx, y + dy, steps=12)
    page.mouse.up()


def _column_width(page) -> float:
    return page.locator('thead th[data-quarter="2026-Q1"]').bounding_box()["width"]


def test_drag_a_bar_to_another_quarter_then_stretch_it(page, plan, shoot):
    sso = plan["sso"]
    log_in(page, "pat")
    page.goto(WINDOW)
    shoot(page, "timeline")
    bar = page.locator(f'[data-bar][data-pk="{sso.pk}"]')
    expect(bar).to_have_attribute("data-start", "2026-Q2")
    platform_q4 = page.locator(".capacity-table tbody tr", has_text="Platform").locator("td").nth(3)
    expect(platform_q4).to_have_text("4 / 5")

    # Two quarters later: 2026-Q4 .. 2027-Q1, which overloads Platform's 2026-Q4.
    _drag(page, bar.locator(".plan-bar-text"), 2 * _column_width(page))
    expect(page.locator("#timeline .board-status")).to_have_text(
        "Planned “SSO for enterprise” for 2026-Q4 to 2027-Q1."
    )
    sso.refresh_from_db()
    assert (sso.start_quarter, sso.end_quarter) == ("2026-Q4", "2027-Q1")
    expect(platform_q4).to_contain_text("7 / 5")
    expect(platform_q4).to_contain_text("over by 2")

    # Stretch its end one quarter further: the same effort over three quarters.
    bar = page.locator(f'[data-bar][data-pk="{sso.pk}"]')
    expect(bar).to_have_attribute("data-end", "2027-Q1")
    _drag(page, bar.locator(".plan-handle-end"), _column_width(page))
    expect(page.locator("#timeline .board-status")).to_have_text(
        "Planned “SSO for enterprise” for 2026-Q4 to 2027-Q2."
    )
    sso.refresh_from_db()
    assert (sso.start_quarter, sso.end_quarter) == ("2026-Q4", "2027-Q2")
    assert sso.version == 3
    expect(platform_q4).to_contain_text("6 / 5")
    shoot(page, "timeline-after-drag")


def test_drag_an_unscheduled_initiative_onto_a_quarter(page, plan):
    digest = plan["digest"]
    log_in(page, "pat")
    page.goto(WINDOW)
    chip = page.locator(f'[data-bar][data-pk="{digest.pk}"]')
    target = page.locator('thead th[data-quarter="2026-Q3"]').bounding_box()
    box = chip.bounding_box()
    _drag(page, chip, target["x"] + target["width"] / 2 - (box["x"] + box["width"] / 2))
    expect(page.locator("#timeline .board-status")).to_have_text(
        "Planned “Weekly digest” for 2026-Q3."
    )
    digest.refresh_from_db()
    assert (digest.start_quarter, digest.end_quarter) == ("2026-Q3", "2026-Q3")


def test_keyboard_moves_and_stretches_a_focused_bar(page, plan):
    sso = plan["sso"]
    log_in(page, "pat")
    page.goto(WINDOW)
    page.locator(f'[data-bar][data-pk="{sso.pk}"]').focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#timeline .board-status")).to_have_text(
        "Planned “SSO for enterprise” for 2026-Q3 to 2026-Q4."
    )
    # The redrawn bar takes the focus back once htmx has settled: wait for it.
    expect(page.locator(f'[data-bar][data-pk="{sso.pk}"]')).to_be_focused()
    page.keyboard.press("Shift+ArrowRight")
    expect(page.locator("#timeline .board-status")).to_have_text(
        "Planned “SSO for enterprise” for 2026-Q3 to 2027-Q1."
    )
    sso.refresh_from_db()
    assert (sso.start_quarter, sso.end_quarter) == ("2026-Q3", "2027-Q1")


def test_marketing_sees_the_plan_without_drag(page, plan, shoot):
    log_in(page, "mia")
    page.goto(WINDOW)
    bar = page.locator(f'[data-bar][data-pk="{plan["sso"].pk}"]')
    expect(bar).to_be_visible()
    expect(bar.locator(".plan-handle-end")).to_have_count(0)
    _drag(page, bar, 2 * _column_width(page))
    assert Initiative.objects.get(pk=plan["sso"].pk).start_quarter == "2026-Q2"


def test_the_plan_reads_as_a_table_without_javascript(chromium, live_server, plan):
    context = chromium.new_context(java_script_enabled=False, base_url=live_server.url)
    page = context.new_page()
    log_in(page, "pat")
    page.goto(WINDOW)
    row = page.get_by_role("row", name="SSO for enterprise")
    expect(row).to_contain_text("2026-Q2 to 2026-Q3")
    expect(page.locator("th[scope=rowgroup]", has_text="Platform")).to_contain_text("2")
    expect(page.locator(".capacity-table")).to_contain_text("4 / 5")
    context.close()


def test_phone_width_scrolls_the_plan_inside_its_box(page, plan, shoot):
    log_in(page, "pat")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(WINDOW)
    expect(page.locator(f'[data-bar][data-pk="{plan["sso"].pk}"]')).to_be_attached()
    shoot(page, "timeline-mobile", full_page=False)
    wide = page.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391"
        " && !e.closest('.table-scroll')).map(e => e.tagName + '.' + e.className).slice(0, 8)"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, wide
    page.goto("/roadmap/timeline/capacity/?start=2026-Q1")
    expect(page.get_by_label("Platform, 2026-Q4")).to_have_value("5.0")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shoot(page, "timeline-capacity-mobile", full_page=False)
