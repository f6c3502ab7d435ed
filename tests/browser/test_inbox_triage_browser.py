"""Triage in a real Chromium: filter the inbox, dismiss an item with a reason, find it again."""

import pytest
from playwright.sync_api import expect

from roadmap.models import Evidence
from tests.browser.conftest import log_in
from tests.factories import (
    CustomerFactory,
    EvidenceFactory,
    InitiativeFactory,
    SegmentFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def inbox(db):
    UserFactory(username="pat", groups=["product"])
    enterprise = SegmentFactory(name="Enterprise")
    EvidenceFactory(
        text="We need SSO before renewal",
        customer=CustomerFactory(name="Globex", segment=enterprise),
        source="sales",
        initiative=None,
    )
    EvidenceFactory(text="Buy cheap watches now", source="in_app", initiative=None)
    InitiativeFactory(title="Single sign-on")


def _item(page, text):
    return page.locator(".inbox-item", has_text=text)


def test_dismiss_an_item_as_spam_and_find_it_under_dismissed(page, inbox, shoot):
    log_in(page, "pat")
    page.goto("/evidence/")
    expect(_item(page, "cheap watches")).to_be_visible()
    shoot(page, "inbox")

    spam = _item(page, "cheap watches")
    spam.get_by_label("Dismiss as").select_option("spam")
    spam.get_by_role("button", name="Dismiss").click()
    expect(page.get_by_text("Dismissed 1 item as spam")).to_be_visible()
    expect(_item(page, "cheap watches")).to_have_count(0)
    assert Evidence.objects.get(text__startswith="Buy cheap").dismissed_reason == "spam"

    # The segment's name finds the other item; "Dismissed" finds the spam again.
    page.locator("#f_q").fill("enterprise")
    expect(_item(page, "SSO before renewal")).to_be_visible()
    page.locator("#f_q").fill("")
    page.get_by_label("Show").select_option("dismissed")
    expect(_item(page, "cheap watches")).to_be_visible()
    expect(_item(page, "cheap watches").get_by_text("Dismissed: Spam")).to_be_visible()
    shoot(page, "inbox-dismissed")

    # Link the real request, finding the initiative by typing in the picker.
    page.get_by_label("Show").select_option("inbox")
    expect(_item(page, "SSO before renewal")).to_be_visible()
    _item(page, "SSO before renewal").get_by_role("checkbox").check()
    page.locator("#bulk").get_by_role("searchbox", name="Search initiative").fill("sign")
    expect(page.locator("#bulk-initiative option", has_text="Single sign-on")).to_have_count(1)
    page.locator("#bulk-initiative").select_option(label="Single sign-on")
    page.locator("#bulk").get_by_role("button", name="Link selected").click()
    expect(page.get_by_text("Linked 1 item to “Single sign-on”.")).to_be_visible()
    assert Evidence.objects.get(text__startswith="We need SSO").initiative.title == "Single sign-on"
