"""The evidence inbox: unlinked items newest first, search, link one or many, add evidence."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from roadmap.models import Evidence, Initiative
from tests.factories import CustomerFactory, EvidenceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbox_items(db):
    now = timezone.now()
    old = EvidenceFactory(text="Old request for exports", received_at=now - timedelta(days=9))
    new = EvidenceFactory(
        text="New request for SSO",
        received_at=now - timedelta(hours=1),
        customer=CustomerFactory(name="Globex"),
    )
    return {"old": old, "new": new}


def test_inbox_lists_unlinked_evidence_newest_first(product_client, small_roadmap, inbox_items):
    EvidenceFactory(text="Already linked", initiative=small_roadmap["alpha"])
    html = product_client.get(reverse("roadmap:inbox")).content.decode()
    assert html.index("New request for SSO") < html.index("Old request for exports")
    assert "Already linked" not in html


def test_inbox_search_matches_text_and_customer(product_client, inbox_items):
    html = product_client.get(reverse("roadmap:inbox") + "?q=globex").content.decode()
    assert "New request for SSO" in html
    assert "Old request for exports" not in html


def test_linking_one_item_moves_it_out_of_the_inbox(product_client, small_roadmap, inbox_items):
    alpha = small_roadmap["alpha"]
    response = product_client.post(
        reverse("roadmap:evidence-link"),
        {"evidence": inbox_items["old"].pk, "initiative": alpha.pk},
        headers={"HX-Request": "true", "HX-Target": "inbox"},
    )
    html = response.content.decode()
    assert "Linked 1 item to “Alpha”." in html
    assert "Old request for exports" not in html
    inbox_items["old"].refresh_from_db()
    assert inbox_items["old"].initiative == alpha


def test_bulk_link(product_client, small_roadmap, inbox_items):
    beta = small_roadmap["beta"]
    response = product_client.post(
        reverse("roadmap:evidence-link"),
        {"evidence": [inbox_items["old"].pk, inbox_items["new"].pk], "initiative": beta.pk},
    )
    assert response.status_code == 302
    assert Evidence.objects.filter(initiative=beta).count() == 2


def test_linking_without_a_choice_explains_what_is_missing(product_client, inbox_items):
    response = product_client.post(
        reverse("roadmap:evidence-link"),
        {"initiative": ""},
        headers={"HX-Request": "true", "HX-Target": "inbox"},
    )
    html = response.content.decode()
    assert "Select at least one evidence item." in html
    assert "Choose an initiative to link to." in html


def test_an_item_becomes_a_new_initiative(product_client, inbox_items):
    response = product_client.post(
        reverse("roadmap:evidence-to-initiative", args=[inbox_items["new"].pk]),
        {"title": "Single sign-on"},
    )
    initiative = Initiative.objects.get(title="Single sign-on")
    assert response["Location"] == reverse("roadmap:initiative", args=[initiative.pk])
    assert initiative.reach_source == "evidence"
    inbox_items["new"].refresh_from_db()
    assert inbox_items["new"].initiative == initiative


def test_marketing_can_add_evidence_with_a_new_customer(marketing_client, marketing_user):
    response = marketing_client.post(
        reverse("roadmap:evidence-add"),
        {
            "text": "They asked for a Jira sync",
            "source": "sales",
            "importance": "critical",
            "new_customer": "Initech",
        },
    )
    assert response.status_code == 302
    evidence = Evidence.objects.get(text="They asked for a Jira sync")
    assert (evidence.customer.name, evidence.created_by, evidence.initiative) == (
        "Initech",
        marketing_user,
        None,
    )


def test_add_evidence_errors_keep_what_was_typed(marketing_client):
    response = marketing_client.post(
        reverse("roadmap:evidence-add"),
        {"text": "Half a thought", "source": "carrier-pigeon", "importance": "important"},
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "Select a valid choice. carrier-pigeon is not one of the available choices." in html
    assert "Half a thought</textarea>" in html
    assert not Evidence.objects.exists()


def test_an_nps_comment_is_added_with_its_score_and_a_score_off_its_scale_is_refused(
    marketing_client,
):
    url = reverse("roadmap:evidence-add")
    form = {"text": "Would recommend", "source": "nps", "importance": "important", "score": "9"}
    assert marketing_client.post(url, form).status_code == 302
    assert Evidence.objects.get(text="Would recommend").score == 9
    response = marketing_client.post(url, form | {"text": "Meh", "source": "survey"})
    assert response.status_code == 422
    assert "A survey score is a whole number from 1 to 5." in response.content.decode()
    assert not Evidence.objects.filter(text="Meh").exists()


def test_roleless_users_cannot_add_evidence(roleless_client):
    response = roleless_client.post(
        reverse("roadmap:evidence-add"), {"text": "x", "source": "sales"}
    )
    assert response.status_code == 403


def test_inbox_query_count_is_constant(product_client, db):
    def count(params=None):
        with CaptureQueriesContext(connection) as ctx:
            assert product_client.get(reverse("roadmap:inbox"), params or {}).status_code == 200
        return len(ctx)

    search = {"q": "C1", "source": "sales", "importance": "critical"}
    EvidenceFactory.create_batch(40, customer=CustomerFactory())
    few, few_searched = count(), count(search)
    for n in range(40):
        EvidenceFactory(customer=CustomerFactory(name=f"C{n}"), initiative=None)
        Initiative.objects.create(title=f"I{n}")
    assert count() == few
    assert count(search) == few_searched


def test_each_item_offers_the_best_ranked_initiatives_and_the_bar_searches_them_all(
    product_client, small_roadmap, inbox_items, monkeypatch, rescore
):
    # Alpha, Beta, Gamma ranked 1-3, then one initiative past the lists' cut.
    monkeypatch.setattr("roadmap.views.evidence.ITEM_CHOICES", 3)
    Initiative.objects.create(title="Low & last <x>", reach=0.001)
    rescore()
    html = product_client.get(reverse("roadmap:inbox")).content.decode()

    item = html[html.index(f'id="link-{inbox_items["old"].pk}"') :]
    item = item[: item.index("</select>")]
    assert [t in item for t in ("#1 Alpha", "#3 Gamma", "Low &amp; last")] == [True, True, False]
    bar = html[html.index('id="bulk-initiative"') - 600 :]
    assert 'hx-get="/evidence/pick/initiatives/"' in bar
    # Typing finds any initiative, escaped, best-ranked first.
    found = product_client.get("/evidence/pick/initiatives/", {"initiative_term": "low"})
    assert "#4 Low &amp; last &lt;x&gt;" in found.content.decode()
    assert "Alpha" not in found.content.decode()


def test_a_short_roadmap_is_offered_whole_on_every_item(product_client, small_roadmap, inbox_items):
    html = product_client.get(reverse("roadmap:inbox")).content.decode()
    assert html.count("#3 Gamma") == 3  # the bar and both items
    assert "Only the top" not in html


def test_a_rejected_evidence_form_keeps_the_chosen_customer_and_initiative(
    product_client, small_roadmap
):
    customer = CustomerFactory(name="Acme <Labs> & Co")
    CustomerFactory(name="Globex")
    gamma = small_roadmap["gamma"]
    response = product_client.post(
        reverse("roadmap:evidence-add"),
        {"text": "", "source": "sales", "customer": customer.pk, "initiative": gamma.pk},
    )
    html = response.content.decode()
    customers = html[html.index('id="id_customer"') :]
    customers = customers[: customers.index("</select>")]
    assert response.status_code == 422
    assert f'<option value="{customer.pk}" selected>Acme &lt;Labs&gt; &amp; Co' in customers
    assert customers.count(" selected") == 1
    assert "Globex" in customers
    assert f'<option value="{gamma.pk}" selected>' in html
    assert not Evidence.objects.exists()
