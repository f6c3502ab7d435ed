"""The scoring settings page: product edits and previews the policy, marketing reads it."""

import pytest
from django.urls import reverse

from roadmap.models import FullRescore, Initiative, ScoringSettings
from roadmap.services import initiatives_rescore_marked
from tests.factories import AlignmentFactory, InitiativeFactory, KeyResultFactory

pytestmark = pytest.mark.django_db
URL = reverse("roadmap:scoring-settings")
PREVIEW = reverse("roadmap:scoring-preview")
HTMX = {"HX-Request": "true"}

FORM = {
    "version": "1",
    "framework": "rice",
    "formula": "",
    "alignment_weight": "1",
    "unaligned_factor": "1",
    "importance_nice_to_have": "1",
    "importance_important": "1",
    "importance_critical": "1",
    "revenue_weight": "0",
    "experiment_confidence": "",
    "half_life_days": "90",
}


def test_product_sees_the_form(product_client):
    page = product_client.get(URL).content.decode()
    assert 'name="framework"' in page
    assert "Preview the ranking" in page


def test_marketing_reads_the_policy(marketing_client):
    read = marketing_client.get(URL).content.decode()
    assert 'name="framework"' not in read
    assert "Only product may change the policy." in read
    assert marketing_client.post(URL, FORM).status_code == 403
    assert marketing_client.post(PREVIEW, FORM).status_code == 403


def test_saving_the_policy_rescores_and_redirects(product_client):
    response = product_client.post(URL, {**FORM, "framework": "ice"})
    assert response.status_code == 302
    assert ScoringSettings.objects.get().framework == "ice"
    assert FullRescore.objects.count() == 1


def test_a_bad_formula_is_an_inline_field_error_and_saves_nothing(product_client):
    response = product_client.post(
        URL, {**FORM, "framework": "custom", "formula": "reach.__class__"}
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert 'class="field-error"' in page
    assert "Attribute access is not allowed in a formula." in page
    assert not ScoringSettings.objects.exists()


def test_a_stale_save_is_a_conflict_showing_their_values(product_client):
    assert product_client.post(URL, {**FORM, "alignment_weight": "2"}).status_code == 302
    response = product_client.post(URL, {**FORM, "alignment_weight": "3"})
    assert response.status_code == 409
    assert "Someone else changed the policy" in response.content.decode()
    assert ScoringSettings.objects.get().alignment_weight == 2


def test_preview_lists_who_moves_and_writes_nothing(product_client):
    kr = KeyResultFactory(progress=0.0)
    big = InitiativeFactory(reach=1000, title="Big unaligned")
    small = InitiativeFactory(reach=300, title="Small aligned")
    AlignmentFactory(initiative=small, key_result=kr, contribution="strong")
    initiatives_rescore_marked()
    before = list(Initiative.objects.values_list("priority_score", "rank_key"))

    response = product_client.post(PREVIEW, {**FORM, "unaligned_factor": "0.5"}, headers=HTMX)

    assert response.status_code == 200
    page = response.content.decode()
    assert "1 initiative would move up, 1 down" in page
    assert "Nothing was saved" in page
    assert page.index("Small aligned") < page.index("Big unaligned")
    assert list(Initiative.objects.values_list("priority_score", "rank_key")) == before
    assert not ScoringSettings.objects.exists()
    assert big.pk


def test_initiative_edit_preview(product_client):
    a = InitiativeFactory(reach=10, title="Alpha")
    InitiativeFactory(reach=20, title="Beta")
    initiatives_rescore_marked()
    url = reverse("roadmap:initiative-preview", args=[a.pk])
    data = {
        "version": "1",
        "title": "Alpha",
        "description": "",
        "status": "idea",
        "lane": "later",
        "target_quarter": "",
        "team": "",
        "owner": "",
        "reach": "50",
        "impact": "1.0",
        "confidence": "80",
        "effort": "1",
        "reach_source": "manual",
    }
    page = product_client.post(url, data, headers=HTMX).content.decode()
    assert "With this edit:" in page
    assert "1 initiative would move up, 1 down" in page
    a.refresh_from_db()
    assert a.reach == 10


def test_breakdown_names_the_framework_and_its_factors(product_client):
    a = InitiativeFactory(reach=10, ease=None)
    ScoringSettings.objects.create(pk=1, framework="ice")
    initiatives_rescore_marked()
    page = product_client.get(reverse("roadmap:initiative", args=[a.pk])).content.decode()
    assert "Scored with <strong>ICE</strong>" in page
    assert "Missing ease" in page
