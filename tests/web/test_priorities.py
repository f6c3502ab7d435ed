"""The priority table: filters, inline RICE editing, breakdowns."""

import importlib
import re

import pytest
from django.urls import reverse

from roadmap.models import Initiative
from tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db


def _titles(html: str) -> list[str]:
    return re.findall(r'<th scope="row" class="title-cell">\s*<a href="[^"]+">([^<]+)</a>', html)


def test_table_lists_initiatives_in_rank_order_with_shipped_work_last(
    product_client, small_roadmap, rescore
):
    InitiativeFactory(title="Done", status="shipped", reach=5000)
    rescore()
    html = product_client.get("/priorities/").content.decode()
    assert _titles(html) == ["Alpha", "Beta", "Gamma", "Done"]
    # The count says what it counts: the API's ranked list would say 3.
    assert "4 initiatives: 3 ranked, then 1 shipped or archived (not ranked)." in html


def test_table_summary_counts_only_ranked_work_when_there_is_nothing_else(
    product_client, small_roadmap, rescore
):
    rescore()
    html = product_client.get("/priorities/").content.decode()
    assert "3 initiatives." in html
    assert "not ranked" not in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("lane=next", ["Beta"]),
        ("team=Growth", ["Gamma"]),
        ("unaligned=true", ["Beta", "Gamma"]),
        ("unaligned=false", ["Alpha"]),
        ("search=amm", ["Gamma"]),
        ("status=idea", []),
    ],
)
def test_filters_narrow_the_table(product_client, small_roadmap, query, expected):
    html = product_client.get(f"/priorities/?{query}").content.decode()
    assert _titles(html) == expected


def test_objective_filter(product_client, small_roadmap):
    objective = small_roadmap["objective"]
    html = product_client.get(f"/priorities/?objective={objective.pk}").content.decode()
    assert _titles(html) == ["Alpha"]


def test_htmx_filter_requests_get_only_the_table(product_client, small_roadmap):
    response = product_client.get(
        "/priorities/?lane=later", headers={"HX-Request": "true", "HX-Target": "priority-table"}
    )
    html = response.content.decode()
    assert html.startswith('<div id="priority-table"')
    assert "<nav" not in html


def test_edit_row_shows_current_values_in_inputs(product_client, small_roadmap):
    alpha = small_roadmap["alpha"]
    html = product_client.get(
        reverse("roadmap:priority-edit", args=[alpha.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    assert f'id="reach-{alpha.pk}" form="rice-form-{alpha.pk}" type="number" name="reach"' in html
    assert 'value="100"' in html
    assert '<option value="2.0" selected>High (2)</option>' in html
    assert f'<input type="hidden" name="version" value="{alpha.version}">' in html


@pytest.mark.django_db(transaction=True)
def test_saving_rice_inputs_redraws_the_table_with_the_new_score_and_rank(client, product_user):
    from roadmap import services

    client.force_login(product_user)
    first = InitiativeFactory(title="First", reach=100)
    second = InitiativeFactory(title="Second", reach=50)
    services.initiatives_rescore_marked()
    second.refresh_from_db()
    assert second.rank == 2
    response = client.post(
        reverse("roadmap:priority-edit", args=[second.pk]),
        {"reach": "400", "impact": "1.0", "confidence": "80", "effort": "1", "version": "1"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert response["HX-Retarget"] == "#priority-table"
    row = re.search(
        rf'<tbody id="row-{second.pk}" class="row-group is-saved".*?</tbody>', html, re.S
    )
    assert row, "the saved row is highlighted"
    assert "#1<" in row[0]
    assert ">320<" in row[0]  # 400 x 1 x 0.8 / 1
    assert _titles(html) == ["Second", "First"]
    second.refresh_from_db()
    assert (second.reach, second.rank, second.priority_score) == (400, 1, 320)
    first.refresh_from_db()
    assert first.rank == 2


def test_invalid_rice_inputs_show_errors_inline_and_keep_what_was_typed(
    product_client, small_roadmap
):
    alpha = small_roadmap["alpha"]
    response = product_client.post(
        reverse("roadmap:priority-edit", args=[alpha.pk]),
        {"reach": "-5", "impact": "1.0", "confidence": "250", "effort": "0", "version": "1"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "HX-Retarget" not in response
    assert 'value="-5"' in html
    assert 'value="250"' in html
    assert "Ensure this value is greater than or equal to 0." in html
    assert "Ensure this value is less than or equal to 100." in html
    assert "Must be more than 0." in html
    assert 'aria-invalid="true"' in html
    alpha.refresh_from_db()
    assert alpha.reach == 100


def test_stale_rice_edit_shows_the_conflict_and_changes_nothing(product_client, small_roadmap):
    alpha = small_roadmap["alpha"]
    Initiative.objects.filter(pk=alpha.pk).update(version=3, reach=77)
    response = product_client.post(
        reverse("roadmap:priority-edit", args=[alpha.pk]),
        {"reach": "5", "impact": "1.0", "confidence": "80", "effort": "1", "version": "1"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert "Someone else changed “Alpha” while you were editing." in html
    assert "Current values: reach 77" in html
    assert 'value="5"' in html
    assert '<input type="hidden" name="version" value="3">' in html
    alpha.refresh_from_db()
    assert alpha.reach == 77


def test_breakdown_explains_every_factor(product_client, small_roadmap):
    alpha = small_roadmap["alpha"]
    html = product_client.get(reverse("roadmap:breakdown", args=[alpha.pk])).content.decode()
    assert "Why is “Alpha” #1?" in html
    assert "priority = reach x impact x confidence / effort x (1 + alignment)" in html
    assert "Set by hand" in html
    assert "High" in html
    assert "Expansion revenue" in html
    assert "Grow revenue" in html
    assert "strong (1)" in html
    assert "80%" in html  # key result gap: progress 20%
    assert "20%" in html
    # alignment = 1 x 2 x (0.2 + 0.8) = 2; RICE 160; priority 160 x 3 = 480
    assert "Priority = 160 \u00d7 (1 + 2) = <strong>480</strong>" in html


def test_breakdown_of_an_unaligned_initiative_says_so(product_client, small_roadmap):
    beta = small_roadmap["beta"]
    html = product_client.get(reverse("roadmap:breakdown", args=[beta.pk])).content.decode()
    assert "Unaligned: this initiative moves no key result" in html


def test_each_row_links_its_breakdown(product_client, small_roadmap):
    alpha = small_roadmap["alpha"]
    html = product_client.get("/priorities/").content.decode()
    assert f'aria-controls="breakdown-{alpha.pk}">Why #1?</button>' in html
    assert f'hx-get="{reverse("roadmap:breakdown", args=[alpha.pk])}"' in html


def _evidence_backed(reach: float) -> Initiative:
    initiative = InitiativeFactory(title="Derived", reach_source="evidence", impact=1, effort=1)
    Initiative.objects.filter(pk=initiative.pk).update(reach=reach, needs_rescore=False)
    initiative.refresh_from_db()
    return initiative


def test_inline_edit_shows_evidence_reach_but_does_not_take_a_typed_one(product_client):
    initiative = _evidence_backed(12.3456)
    edit = product_client.get(
        reverse("roadmap:priority-edit", args=[initiative.pk]), headers={"HX-Request": "true"}
    )
    field = re.search(r'<input id="reach-\d+"[^>]*>', edit.content.decode())[0]
    assert " disabled" in field
    assert 'value="12.35"' in field
    product_client.post(
        reverse("roadmap:priority-edit", args=[initiative.pk]),
        {"reach": "9999", "impact": "2.0", "confidence": "80", "effort": "1", "version": "1"},
        headers={"HX-Request": "true"},
    )
    initiative.refresh_from_db()
    assert (initiative.reach, initiative.impact) == (12.3456, 2.0)


@pytest.mark.parametrize(
    ("reach", "source", "error", "stored"),
    [
        ("12.35", "evidence", None, 12.3456),  # the rounded value shown: unchanged
        ("500", "evidence", "Reach is derived from linked evidence", 12.3456),
        ("500", "manual", None, 500.0),  # switching to "set by hand" takes the typed reach
    ],
)
def test_initiative_form_refuses_a_typed_reach_while_it_comes_from_evidence(
    reach, source, error, stored
):
    from roadmap.forms import InitiativeForm

    initiative = _evidence_backed(12.3456)
    data = {
        "title": "Derived",
        "description": "",
        "status": initiative.status,
        "lane": initiative.lane,
        "target_quarter": "",
        "team": "",
        "owner": "",
        "reach": reach,
        "impact": "1.0",
        "confidence": "100",
        "effort": "1",
        "reach_source": source,
        "version": str(initiative.version),
    }
    form = InitiativeForm(data=data, instance=initiative)
    assert form.is_valid() is (error is None), form.errors
    if error:
        assert form.errors["reach"][0].startswith(error)
    else:
        assert form.cleaned_data["reach"] == stored


@pytest.fixture
def pages_of_two(monkeypatch):
    # The module, not the view of the same name that roadmap.views exports.
    monkeypatch.setattr(importlib.import_module("roadmap.views.priorities"), "PAGE_SIZE", 2)


def test_the_table_comes_in_pages_that_keep_the_filters(
    product_client, small_roadmap, rescore, pages_of_two
):
    InitiativeFactory(title="Delta", reach=1, lane="later")
    InitiativeFactory(title="Done", status="shipped", reach=5000)
    rescore()

    first = product_client.get("/priorities/").content.decode()
    second = product_client.get("/priorities/?page=2").content.decode()
    later = product_client.get("/priorities/?lane=later").content.decode()

    assert _titles(first) == ["Alpha", "Beta"]
    assert _titles(second) == ["Gamma", "Delta"]
    assert "5 initiatives: 4 ranked, then 1 shipped or archived (not ranked)." in first
    assert "Showing 1 to 2." in first
    assert "Showing 3 to 4." in second
    assert 'href="?page=2"' in first
    assert _titles(later) == ["Gamma", "Delta"]
    assert "lane=later&amp;page=2" not in later  # one page: no pager
    assert "lane=later" not in first


def test_a_filtered_table_pages_within_the_filter(
    product_client, small_roadmap, rescore, pages_of_two
):
    for n in range(3):
        InitiativeFactory(title=f"Later {n}", reach=n + 1, lane="later")
    rescore()
    html = product_client.get("/priorities/?lane=later").content.decode()
    assert "4 initiatives match these filters. Showing 1 to 2." in html
    assert 'href="?lane=later&amp;page=2"' in html
    assert len(_titles(product_client.get("/priorities/?lane=later&page=2").content.decode())) == 2


def test_saving_a_row_on_a_later_page_redraws_that_page(
    product_client, small_roadmap, rescore, pages_of_two
):
    InitiativeFactory(title="Delta", reach=1, lane="later")
    rescore()
    delta = Initiative.objects.get(title="Delta")
    response = product_client.post(
        reverse("roadmap:priority-edit", args=[delta.pk]),
        {
            "reach": "2",
            "impact": "1.0",
            "confidence": "80",
            "effort": "1",
            "version": str(delta.version),
            "page": "2",
        },
        headers={"HX-Request": "true"},
    )
    assert _titles(response.content.decode()) == ["Gamma", "Delta"]


def test_the_table_says_how_the_current_policy_counts(product_client, product_user):
    from roadmap.services.policy import scoring_policy_update

    html = product_client.get("/priorities/").content.decode()
    assert "priority = reach x impact x confidence / effort x (1 + alignment)" in html
    assert ">RICE<" in html

    scoring_policy_update(
        actor=product_user, data={"framework": "ice", "alignment_weight": 2}, expected_version=1
    )

    html = product_client.get("/priorities/").content.decode()
    assert "priority = impact x confidence x ease (each 1-10) x (1 + 2 x alignment)" in html
    assert ">ICE<" in html
    assert ">RICE<" not in html
    assert "aligned to nothing" not in html

    scoring_policy_update(actor=product_user, data={"unaligned_factor": 0.5}, expected_version=2)

    html = product_client.get("/priorities/").content.decode()
    assert "x (1 + 2 x alignment); work aligned to nothing: score x 0.5" in html
