"""The initiative page: edit with optimistic locking, alignments, evidence, history; 'new'."""

import json
import re

import pytest
from django.urls import reverse

from roadmap.models import Alignment, Initiative
from tests.factories import CustomerFactory, EvidenceFactory, KeyResultFactory, SegmentFactory

pytestmark = pytest.mark.django_db


def _form_data(initiative, **changes):
    data = {
        "title": initiative.title,
        "description": initiative.description,
        "status": initiative.status,
        "lane": initiative.lane,
        "target_quarter": initiative.target_quarter,
        "team": initiative.team,
        "owner": "",
        "reach": initiative.reach,
        "impact": initiative.impact,
        "confidence": initiative.confidence,
        "effort": initiative.effort,
        "reach_source": initiative.reach_source,
        "version": initiative.version,
    }
    data.update(changes)
    return data


def test_page_shows_scores_alignments_and_a_hidden_version(product_client, small_roadmap):
    alpha = small_roadmap["alpha"]
    html = product_client.get(reverse("roadmap:initiative", args=[alpha.pk])).content.decode()
    assert '<span class="stat-value" data-rank>#1</span>' in html
    assert '<input type="hidden" name="version" value="1" id="id_version">' in html
    assert "Expansion revenue" in html
    assert "Why is “Alpha” #1?" in html


def test_editing_saves_through_the_service_and_bumps_the_version(product_client, small_roadmap):
    alpha = small_roadmap["alpha"]
    url = reverse("roadmap:initiative", args=[alpha.pk])
    response = product_client.post(url, _form_data(alpha, title="Alpha 2", team="Core"))
    assert response.status_code == 302
    alpha.refresh_from_db()
    assert (alpha.title, alpha.team, alpha.version) == ("Alpha 2", "Core", 2)


def test_stale_edit_shows_current_values_and_changes_nothing(product_client, small_roadmap):
    alpha = small_roadmap["alpha"]
    url = reverse("roadmap:initiative", args=[alpha.pk])
    Initiative.objects.filter(pk=alpha.pk).update(title="Renamed by Sam", version=2)
    response = product_client.post(url, _form_data(alpha, title="My title", version=1))
    html = response.content.decode()
    assert response.status_code == 409
    assert "Someone else changed this initiative while you were editing." in html
    assert '<th scope="row">Title</th><td>Renamed by Sam</td><td>My title</td>' in html
    assert 'value="My title"' in html
    assert '<input type="hidden" name="version" value="2" id="id_version">' in html
    assert "<h1>Renamed by Sam</h1>" in html
    alpha.refresh_from_db()
    assert (alpha.title, alpha.version) == ("Renamed by Sam", 2)


def test_invalid_edit_shows_field_errors_and_keeps_input(product_client, small_roadmap):
    alpha = small_roadmap["alpha"]
    url = reverse("roadmap:initiative", args=[alpha.pk])
    response = product_client.post(
        url, _form_data(alpha, title="", target_quarter="2026-Q5", effort="0")
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "This field is required." in html
    assert "Enter a quarter like 2026-Q4." in html
    assert "Must be more than 0." in html
    assert 'value="2026-Q5"' in html
    alpha.refresh_from_db()
    assert alpha.target_quarter == ""


def test_alignments_can_be_added_changed_and_removed(product_client, small_roadmap):
    beta = small_roadmap["beta"]
    kr = KeyResultFactory(title="Activation rate")
    product_client.post(
        reverse("roadmap:alignment-add", args=[beta.pk]),
        {"key_result": kr.pk, "contribution": "weak"},
    )
    alignment = Alignment.objects.get(initiative=beta, key_result=kr)
    assert alignment.contribution == "weak"
    product_client.post(
        reverse("roadmap:alignment-change", args=[beta.pk, alignment.pk]),
        {"contribution": "strong"},
    )
    alignment.refresh_from_db()
    assert alignment.contribution == "strong"
    product_client.post(reverse("roadmap:alignment-remove", args=[beta.pk, alignment.pk]))
    assert not Alignment.objects.filter(pk=alignment.pk).exists()


def test_an_alignment_of_another_initiative_is_not_found(product_client, small_roadmap):
    alignment = Alignment.objects.get(initiative=small_roadmap["alpha"])
    url = reverse("roadmap:alignment-remove", args=[small_roadmap["beta"].pk, alignment.pk])
    assert product_client.post(url).status_code == 404
    assert Alignment.objects.filter(pk=alignment.pk).exists()


def test_linked_evidence_shows_customer_segment_source_and_importance(
    product_client, small_roadmap
):
    alpha = small_roadmap["alpha"]
    customer = CustomerFactory(name="Acme Corp", segment=SegmentFactory(name="Enterprise"))
    EvidenceFactory(
        initiative=alpha, customer=customer, source="sales", importance="critical", text="Need SSO"
    )
    html = product_client.get(reverse("roadmap:initiative", args=[alpha.pk])).content.decode()
    evidence = html[html.index('id="evidence-title"') :]
    for text in ("Need SSO", "Acme Corp", "Enterprise", "Sales call", "Critical"):
        assert text in evidence


def test_history_chart_data_comes_from_snapshots_via_json_script(product_client, small_roadmap):
    alpha = small_roadmap["alpha"]
    html = product_client.get(reverse("roadmap:initiative", args=[alpha.pk])).content.decode()
    data = re.search(r'<script id="history-data" type="application/json">(.*?)</script>', html)
    chart = json.loads(data.group(1))
    (point,) = chart["points"]
    assert (point["rank"], point["priority"]) == (1, 480.0)
    # The time axis: each point at its snapshot's moment, in epoch milliseconds.
    assert point["t"] == int(alpha.snapshots.get().created_at.timestamp() * 1000)
    assert 'data-chart="history" data-chart-source="history-data"' in html


def test_new_initiative_is_created_and_opened(product_client, product_user):
    response = product_client.post(
        reverse("roadmap:initiative-new"),
        {
            "title": "Offline mode",
            "status": "idea",
            "lane": "later",
            "reach": "40",
            "impact": "2.0",
            "confidence": "50",
            "effort": "3",
            "reach_source": "manual",
            "owner": product_user.pk,
        },
    )
    initiative = Initiative.objects.get(title="Offline mode")
    assert response["Location"] == reverse("roadmap:initiative", args=[initiative.pk])
    assert (initiative.reach, initiative.impact, initiative.owner) == (40, 2.0, product_user)


def test_new_initiative_form_keeps_input_on_errors(product_client):
    response = product_client.post(
        reverse("roadmap:initiative-new"),
        {"title": "Half done", "status": "idea", "lane": "later", "reach": "-1", "impact": "9"},
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert 'value="Half done"' in html
    assert "Select a valid choice. 9 is not one of the available choices." in html
    assert not Initiative.objects.filter(title="Half done").exists()


def test_the_score_card_is_named_after_the_framework_that_scored_it(
    product_client, product_user, rescore
):
    from roadmap import services
    from roadmap.services.policy import scoring_policy_update

    initiative = services.initiative_create(actor=product_user, title="SSO", reach=300)
    rescore()
    html = product_client.get(f"/initiatives/{initiative.pk}/").content.decode()
    assert '<span class="stat-label">RICE</span>' in html

    scoring_policy_update(actor=product_user, data={"framework": "ice"}, expected_version=1)
    rescore()

    html = product_client.get(f"/initiatives/{initiative.pk}/").content.decode()
    assert '<span class="stat-label">ICE</span>' in html
