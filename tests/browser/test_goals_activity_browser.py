"""Goals end to end in Chromium: product's objective and key result move a rank; marketing reads.

Product creates an objective, adds a key result tracking a metric, aligns an
initiative to it, then an integration pushes a reading over the API: the key
result reaches its target, its gap closes and the initiative drops below an
unaligned one on the priorities page. Marketing finds no edit control on the
goal pages and reads /activity/. Every page is also looked at 390 px wide.
"""

import pytest
from playwright.sync_api import expect
from rest_framework.authtoken.models import Token

from okrs.models import KeyResult, Objective
from roadmap import services
from roadmap.models import Initiative
from tests.browser.conftest import log_in
from tests.factories import InitiativeFactory, MetricFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(db):
    UserFactory(username="pat", first_name="Pat", last_name="Lee", groups=["product"])
    UserFactory(username="mia", groups=["marketing"])
    bot = UserFactory(username="warehouse", groups=["integration"])
    return {"token": Token.objects.create(user=bot).key}


@pytest.fixture
def roadmap(people):
    MetricFactory(key="activation", name="Activation rate", unit="%")
    rival = InitiativeFactory(title="Rival bet", reach=150, impact=1, confidence=100, effort=1)
    dashboard = InitiativeFactory(
        title="Activation dashboard", reach=100, impact=1, confidence=100, effort=1
    )
    services.initiatives_rescore_marked()
    return {"rival": rival, "dashboard": dashboard}


def _rank_on_the_priorities_page(page, title: str) -> str:
    page.goto("/priorities/")
    row = page.locator("tr", has_text=title).first
    return row.locator("[data-rank]").inner_text()


def test_product_sets_a_goal_and_a_pushed_reading_moves_the_aligned_rank(
    page, roadmap, people, shoot
):
    log_in(page, "pat")
    assert _rank_on_the_priorities_page(page, "Activation dashboard") == "#2"

    page.goto("/okrs/objectives/new/")
    page.get_by_label("Title").fill("Get new teams to value")
    page.get_by_role("button", name="Create objective").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Get new teams to value")
    objective = Objective.objects.get(title="Get new teams to value")

    add = page.locator("#kr-add")
    add.get_by_label("Title").fill("Activation from 0 to 40%")
    add.get_by_label("Target").fill("40")
    add.get_by_label("Metric").select_option(label="activation")
    add.get_by_role("button", name="Add key result").click()
    expect(page.locator(".kr-list .kr").first).to_contain_text("Activation from 0 to 40%")
    kr = KeyResult.objects.get(objective=objective)
    assert kr.metric.key == "activation"

    services.alignment_set(
        actor=None, initiative=roadmap["dashboard"], key_result=kr, contribution="strong"
    )
    # Aligned to a key result with all its gap ahead: the dashboard now leads.
    assert _rank_on_the_priorities_page(page, "Activation dashboard") == "#1"

    pushed = page.request.post(
        "/api/v1/metrics/activation/readings/",
        data={"value": 40, "source": "warehouse"},
        headers={"Authorization": f"Token {people['token']}"},
    )
    assert pushed.status == 201, pushed.text()
    assert KeyResult.objects.get(pk=kr.pk).current == 40

    # The key result is met, its gap closed: the dashboard falls behind the rival bet.
    assert _rank_on_the_priorities_page(page, "Activation dashboard") == "#2"
    assert Initiative.objects.get(pk=roadmap["dashboard"].pk).rank == 2
    shoot(page, "goals-priorities-after-reading", full_page=False)

    page.goto(f"/okrs/key-results/{kr.pk}/")
    expect(page.locator(".kr")).to_contain_text("now 40")
    expect(page.locator("svg.tchart-svg")).to_have_count(1)
    page.get_by_label("New value").fill("38")
    page.get_by_label("Note").fill("Recount after the data fix")
    page.get_by_role("button", name="Check in").click()
    expect(page.locator("#check-ins")).to_contain_text("Recount after the data fix")
    expect(page.locator("#check-ins")).to_contain_text("Pat Lee")
    shoot(page, "goals-key-result-page")


def test_marketing_finds_no_edit_control_and_reads_the_activity(page, roadmap, shoot):
    objective = Objective.objects.create(title="Win the mid-market", period="2026-Q4")
    kr = KeyResult.objects.create(objective=objective, title="20 logos", target=20)
    services.alignment_set(
        actor=None, initiative=roadmap["rival"], key_result=kr, contribution="weak"
    )
    log_in(page, "mia")
    for name, path in {
        "okrs": "/okrs/",
        "objective": f"/okrs/objectives/{objective.pk}/",
        "key-result": f"/okrs/key-results/{kr.pk}/",
        "activity": "/activity/",
    }.items():
        for width in (1440, 390):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(path)
            expect(page.locator("h1").first).to_be_visible()
            for control in ("Edit", "Delete", "New objective", "Check in", "Add key result"):
                expect(page.get_by_role("link", name=control, exact=True)).to_have_count(0)
                expect(page.get_by_role("button", name=control, exact=True)).to_have_count(0)
            expect(page.locator("form[hx-post]")).to_have_count(0)
            assert page.evaluate("document.documentElement.scrollWidth") <= width, (path, width)
            shoot(page, f"mia-goals-{name}-{width}", full_page=False)

    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto("/activity/")
    expect(page.locator(".nav")).to_contain_text("Activity")
    expect(page.locator("#activity-list")).to_contain_text("Rival bet")  # the alignment
    page.get_by_label("Kind of object").select_option("roadmap.alignment")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#activity-list .audit-entry")).to_have_count(1)
    page.locator("#activity-list a.audit-object").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rival bet")
