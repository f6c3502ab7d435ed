"""Evidence text and every name a user types show as text: escaped in HTML, verbatim in JSON."""

import json

import pytest
from django.utils.html import escape

from roadmap import services
from tests.factories import (
    AlignmentFactory,
    CustomerFactory,
    EvidenceFactory,
    InitiativeFactory,
    KeyResultFactory,
    SegmentFactory,
)
from tests.security.conftest import api_client_for

pytestmark = pytest.mark.django_db

PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(1)>"
# Breaks out of an attribute value if quotes are not escaped.
ATTRIBUTE_PAYLOAD = '"><svg onload=alert(2)>'
RAW_MARKERS = ["<script>alert", "<img src=x", "<svg onload"]


@pytest.fixture
def hostile(product_user):
    """Evidence, an initiative, a customer and a segment whose text is markup."""
    segment = SegmentFactory(name=f"Seg {ATTRIBUTE_PAYLOAD}")
    customer = CustomerFactory(name=f"Cust {PAYLOAD}", segment=segment)
    initiative = InitiativeFactory(title=f"Init {ATTRIBUTE_PAYLOAD}", lane="now", status="planned")
    AlignmentFactory(initiative=initiative, key_result=KeyResultFactory(title=f"KR {PAYLOAD}"))
    linked = EvidenceFactory(text=PAYLOAD, customer=customer, initiative=initiative)
    inbox = EvidenceFactory(text=PAYLOAD, customer=customer, initiative=None)
    services.initiative_update(
        actor=product_user, initiative=initiative, data={"description": PAYLOAD}
    )
    services.initiatives_rescore_marked()
    return {"initiative": initiative, "linked": linked, "inbox": inbox}


def _assert_no_raw_markup(html: str):
    for marker in RAW_MARKERS:
        assert marker not in html, f"unescaped {marker!r}"


@pytest.mark.parametrize("who", ["marketing_user", "product_user"])
def test_the_inbox_shows_evidence_text_escaped(request, client, hostile, who):
    client.force_login(request.getfixturevalue(who))
    html = client.get("/evidence/").content.decode()
    assert escape(PAYLOAD) in html
    _assert_no_raw_markup(html)


@pytest.mark.parametrize("who", ["marketing_user", "product_user"])
def test_the_initiative_page_shows_evidence_and_names_escaped(request, client, hostile, who):
    client.force_login(request.getfixturevalue(who))
    html = client.get(f"/initiatives/{hostile['initiative'].pk}/").content.decode()
    assert f'<p class="evidence-text">{escape(PAYLOAD)}</p>' in html
    assert escape(f"Init {ATTRIBUTE_PAYLOAD}") in html
    assert escape(f"Cust {PAYLOAD}") in html
    # The history section shows the old → new description as text too.
    history = html.split('id="audit-title"')[1]
    assert f'<td class="audit-new">{escape(PAYLOAD)}</td>' in history
    _assert_no_raw_markup(html)


@pytest.mark.parametrize(
    "path", ["/", "/roadmap/timeline/", "/priorities/", "/alignment/", "/okrs/"]
)
def test_other_pages_show_names_escaped(client, marketing_user, hostile, path):
    client.force_login(marketing_user)
    html = client.get(path).content.decode()
    _assert_no_raw_markup(html)
    if path != "/okrs/":
        assert escape(f"Init {ATTRIBUTE_PAYLOAD}") in html or (
            json.dumps(f"Init {ATTRIBUTE_PAYLOAD}")[1:-1].replace("<", "\\u003C") in html
        )


def test_the_api_returns_the_text_verbatim_as_json(integration_user, hostile):
    client = api_client_for(integration_user)
    response = client.get(f"/api/v1/evidence/{hostile['inbox'].pk}/")
    assert response["Content-Type"] == "application/json"
    assert response.json()["text"] == PAYLOAD  # not sanitised, not altered
    listed = client.get("/api/v1/evidence/", {"initiative": hostile["initiative"].pk}).json()
    assert [row["text"] for row in listed["results"]] == [PAYLOAD]


def test_evidence_pushed_through_the_api_is_stored_verbatim(integration_user):
    client = api_client_for(integration_user)
    created = client.post("/api/v1/evidence/", {"source": "support", "text": PAYLOAD})
    assert created.status_code == 201
    assert created.json()["text"] == PAYLOAD
