"""In a real Chromium: hostile evidence text is shown literally and runs nothing."""

from urllib.parse import urlsplit

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
    # An <img src=x> would ask for .../x, whether or not that answers; count the asks (a
    # failed or aborted request for anything else, such as the favicon while the page
    # navigates away, says nothing about the payload).
    payload_requests = []
    page.on(
        "request",
        lambda request: (
            payload_requests.append(request.url)
            if urlsplit(request.url).path.rsplit("/", 1)[-1] == "x"
            else None
        ),
    )

    log_in(page, "mia")
    for path in ("/evidence/", f"/initiatives/{initiative.pk}/"):
        page.goto(path)
        text = page.locator(".evidence-text", has_text="alert(1)").first
        expect(text).to_have_text(PAYLOAD)
        # Parsed as text: no element came out of it.
        assert page.locator(".evidence-text script, .evidence-text img").count() == 0

    assert dialogs == []
    assert payload_requests == []
