"""The browser app in a real Chromium: log in, drag, edit, check in, triage; no console errors."""

import re

import pytest
from playwright.sync_api import expect

from okrs import services as okr_services
from roadmap import services
from roadmap.models import Evidence, Initiative
from tests.browser.conftest import log_in
from tests.factories import (
    AlignmentFactory,
    CustomerFactory,
    EvidenceFactory,
    InitiativeFactory,
    MetricFactory,
    MetricReadingFactory,
    ObjectiveFactory,
    SegmentFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(db):
    product = UserFactory(username="pat", first_name="Pat", last_name="Lee", groups=["product"])
    marketing = UserFactory(username="mia", groups=["marketing"])
    company = ObjectiveFactory(title="Grow revenue inside existing accounts", weight=2)
    team = ObjectiveFactory(title="Faster onboarding", parent=company, team="Onboarding")
    nps = MetricFactory(key="nps", name="NPS", unit="pts")
    for n, value in enumerate([28, 30, 29, 33, 35]):
        MetricReadingFactory(metric=nps, value=value, external_id=f"nps-{n}")
    revenue = okr_services.key_result_create(
        actor=None, objective=company, title="Expansion revenue to $150k", start=0, target=150
    )
    activation = okr_services.key_result_create(
        actor=None, objective=team, title="Raise NPS to 45", start=28, target=45, metric=nps
    )
    alpha = InitiativeFactory(title="Usage-based upgrades", reach=100, impact=2, lane="now")
    beta = InitiativeFactory(title="Onboarding checklist", reach=60, impact=1, lane="next")
    gamma = InitiativeFactory(title="Slack digest", reach=20, impact=1, lane="later")
    AlignmentFactory(initiative=alpha, key_result=revenue, contribution="strong")
    AlignmentFactory(initiative=beta, key_result=activation, contribution="medium")
    segment = SegmentFactory(name="Enterprise", weight=2)
    customer = CustomerFactory(name="Globex", segment=segment)
    EvidenceFactory(text="We need SSO before renewal", customer=customer, source="sales")
    EvidenceFactory(text="Digest emails are noisy", source="nps", importance="nice_to_have")
    EvidenceFactory(text="Checklist helped us", initiative=beta, customer=customer)
    services.initiatives_rescore_marked()
    return {
        "product": product,
        "marketing": marketing,
        "revenue": revenue,
        "activation": activation,
        "alpha": alpha,
        "beta": beta,
        "gamma": gamma,
    }


def test_log_in_and_out(page, demo, shoot):
    page.goto("/priorities/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/priorities/"))
    shoot(page, "login", full_page=False)
    page.get_by_label("Username").fill("pat")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("didn't match")
    page.get_by_label("Username").fill("pat")
    page.get_by_label("Password").fill("pw-for-tests-1")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Priorities", level=1)).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_drag_a_card_to_another_column_and_it_stays_there(page, demo, shoot):
    beta = demo["beta"]
    log_in(page, "pat")
    shoot(page, "board")
    card = page.locator(f"#card-{beta.pk}")
    target = page.locator('.lane-list[data-lane="later"]')
    expect(card.locator("xpath=..")).to_have_attribute("data-lane", "next")

    box = card.locator(".card-title").bounding_box()
    drop = target.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 40, box["y"] + 20, steps=5)
    page.mouse.move(drop["x"] + drop["width"] / 2, drop["y"] + drop["height"] - 10, steps=20)
    page.mouse.up()

    expect(page.locator(".board-status")).to_have_text("Moved “Onboarding checklist” to Later.")
    expect(page.locator(f'.lane-list[data-lane="later"] #card-{beta.pk}')).to_be_visible()
    beta.refresh_from_db()
    assert beta.lane == "later"
    page.reload()
    expect(page.locator(f'.lane-list[data-lane="later"] #card-{beta.pk}')).to_be_visible()


def test_keyboard_move_control(page, demo):
    gamma = demo["gamma"]
    log_in(page, "pat")
    page.get_by_label("Move “Slack digest” to").select_option("now")
    page.locator(f"#card-{gamma.pk}").get_by_role("button", name="Move").click()
    expect(page.locator(f'.lane-list[data-lane="now"] #card-{gamma.pk}')).to_be_visible()
    gamma.refresh_from_db()
    assert gamma.lane == "now"


def test_edit_rice_inputs_and_see_score_and_rank_change_in_the_row(page, demo, shoot):
    gamma = demo["gamma"]
    log_in(page, "pat")
    page.goto("/priorities/")
    row = page.locator(f"#row-{gamma.pk}")
    expect(row.locator("[data-rank]")).to_have_text("#3")
    row.get_by_role("button", name="Edit").click()
    reach = page.locator(f"#reach-{gamma.pk}")
    expect(reach).to_have_value("20")
    reach.fill("-3")
    page.locator(f"#effort-{gamma.pk}").fill("1")
    page.locator(f"#rice-form-{gamma.pk}").get_by_role("button", name="Save").click()
    expect(row).to_contain_text("Ensure this value is greater than or equal to 0.")
    expect(reach).to_have_value("-3")
    shoot(page, "priorities-edit-error", full_page=False)

    reach.fill("5000")
    page.keyboard.press("Enter")
    expect(row.locator("[data-rank]")).to_have_text("#1")
    expect(row.locator("[data-priority]")).to_have_text("4,000")  # 5000 x 1 x 0.8 / 1
    gamma.refresh_from_db()
    assert (gamma.reach, gamma.rank) == (5000, 1)

    row.get_by_role("button", name="Why #1?").click()
    expect(page.locator(f"#breakdown-{gamma.pk}")).to_contain_text("Why is “Slack digest” #1?")
    shoot(page, "priorities-breakdown")


def test_check_in_moves_the_progress_bar(page, demo, shoot):
    kr = demo["revenue"]
    log_in(page, "pat")
    page.goto("/okrs/")
    item = page.locator(f"#kr-{kr.pk}")
    expect(item.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "0")
    item.get_by_label("Value").fill("120")
    item.get_by_label("Confidence").select_option("at_risk")
    item.get_by_role("button", name="Check in").click()
    expect(item.locator("[data-kr-pct]")).to_have_text("80%")
    expect(item.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "80")
    expect(item).to_have_class(re.compile("grade-green"))
    expect(item).to_contain_text("1 aligned initiative re-prioritised.")
    # The swapped-in key result brings its chart along (server-drawn SVG: readings and check-ins).
    expect(item.locator("svg.tchart-svg")).to_have_count(1)
    shoot(page, "okrs-after-check-in")
    kr.refresh_from_db()
    assert (kr.current, kr.confidence) == (120, "at_risk")


def test_link_an_inbox_item_to_an_initiative(page, demo, shoot):
    alpha = demo["alpha"]
    evidence = Evidence.objects.get(text="We need SSO before renewal")
    log_in(page, "pat")
    page.goto("/evidence/")
    shoot(page, "inbox")
    item = page.locator(f"#evidence-{evidence.pk}")
    item.get_by_label("Link to initiative").select_option(str(alpha.pk))
    item.get_by_role("button", name="Link", exact=True).click()
    expect(page.locator("#inbox .board-status")).to_have_text(
        "Linked 1 item to “Usage-based upgrades”."
    )
    expect(page.locator(f"#evidence-{evidence.pk}")).to_have_count(0)
    evidence.refresh_from_db()
    assert evidence.initiative_id == alpha.pk


def test_bulk_link_from_the_inbox(page, demo):
    gamma = demo["gamma"]
    log_in(page, "pat")
    page.goto("/evidence/")
    page.get_by_label("Select all on this page").check()
    expect(page.locator("[data-selected-count]")).to_have_text("2 selected")
    page.get_by_label("Link selected items to").select_option(str(gamma.pk))
    page.get_by_role("button", name="Link selected").click()
    expect(page.locator("#inbox .board-status")).to_have_text("Linked 2 items to “Slack digest”.")
    assert Evidence.objects.filter(initiative=gamma).count() == 2


@pytest.mark.parametrize("username", ["pat", "mia"])
def test_every_page_renders_without_console_errors(page, demo, shoot, username):
    alpha = demo["alpha"]
    log_in(page, username)
    pages = {
        "board": "/",
        "timeline": "/roadmap/timeline/",
        "priorities": "/priorities/",
        "initiative": f"/initiatives/{alpha.pk}/",
        "okrs": "/okrs/",
        "objective": f"/okrs/objectives/{demo['revenue'].objective_id}/",
        "metrics": "/okrs/metrics/",
        "customers": "/customers/",
        "evidence": "/evidence/",
        "alignment": "/alignment/",
    }
    if username == "pat":
        pages["initiative-new"] = "/initiatives/new/"
        pages["objective-new"] = "/okrs/objectives/new/"
    for name, path in pages.items():
        page.goto(path)
        page.wait_for_load_state("networkidle")
        expect(page.locator("h1").first).to_be_visible()
        shoot(page, f"{username}-{name}")
    # Charts really drew something on their canvases.
    page.goto(f"/initiatives/{alpha.pk}/")
    expect(page.locator('canvas[data-chart="history"]')).to_have_attribute(
        "height", re.compile(r"\d+")
    )
    # Phone width: nothing spills sideways (wide tables scroll inside their card).
    # The alignment page has its own stylesheet and tests.
    page.set_viewport_size({"width": 390, "height": 844})
    for name, path in pages.items():
        if name == "alignment":
            continue
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, name
    page.goto("/")
    shoot(page, f"{username}-board-mobile")
    page.goto("/priorities/")
    shoot(page, f"{username}-priorities-mobile", full_page=False)
    if username == "mia":
        assert page.locator("text=Edit").count() == 0
        assert Initiative.objects.filter(lane="now").count() == 1
