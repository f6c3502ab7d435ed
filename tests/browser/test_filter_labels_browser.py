"""At 1440 px every filter bar shows each select's chosen option whole.

"Any importance", not "Any importan".
"""

import pytest

from tests.browser.conftest import log_in
from tests.factories import CustomerFactory, EvidenceFactory, InitiativeFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FILTER_PAGES = ["/roadmap/", "/roadmap/timeline/", "/priorities/", "/evidence/", "/alignment/"]

# The chosen option's text against the room the select gives it (its width less its padding).
CUT_OFF = """() => [...document.querySelectorAll('.filters select')].map(select => {
    const style = getComputedStyle(select);
    const context = document.createElement('canvas').getContext('2d');
    context.font = style.font;
    const text = select.options[select.selectedIndex]?.text || '';
    const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
    const room = select.clientWidth - padding;
    return context.measureText(text).width > room + 0.5 ? text : null;
}).filter(Boolean)"""


def test_no_filter_select_cuts_its_chosen_option(page):
    UserFactory(username="pat", groups=["product"])
    InitiativeFactory(title="Usage-based upgrades", team="Growth")
    EvidenceFactory(text="We need SSO", customer=CustomerFactory(name="Globex"))
    log_in(page, "pat")
    for path in FILTER_PAGES:
        page.goto(path)
        assert page.locator(".filters select").count() > 0, path
        assert page.evaluate(CUT_OFF) == [], path
