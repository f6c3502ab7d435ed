"""In a real Chromium: hostile evidence text is shown literally and runs nothing."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.factories import EvidenceFactory, InitiativeFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(1)>"


def test_hostile_evidence_is_shown_as_text_and_no_dialog_fires(page):
    UserFactory(username="mia", groups=["marketing"])
    initiative = InitiativeFactory(title="SSO", lane="now")
    EvidenceFactory(text=PAYLOAD, initiative=initiative)
    EvidenceFactory(text=PAYLOAD, initiative=None)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    failed_images = []
    page.on("requestfailed", lambda request: failed_images.append(request.url))
    page.on(
        "response",
        lambda response: failed_images.append(response.url) if response.status == 404 else None,
    )

    log_in(page, "mia")
    for path in ("/evidence/", f"/initiatives/{initiative.pk}/"):
        page.goto(path)
        text = page.locator(".evidence-text", has_text="alert(1)").first
        expect(text).to_have_text(PAYLOAD)
        # Parsed as text: no element came out of it.
        assert page.locator(".evidence-text script, .evidence-text img").count() == 0

    assert dialogs == []
    assert failed_images == []  # an <img src=x> would have asked for /x
