"""Product manages objectives, key results and metrics in the app; marketing reads them."""

import re

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from okrs import services as okr_services
from okrs.models import KeyResult, Metric, Objective
from okrs.periods import current_quarter
from roadmap import services
from roadmap.models import Initiative
from tests.factories import (
    AlignmentFactory,
    InitiativeFactory,
    MetricFactory,
    MetricReadingFactory,
    ObjectiveFactory,
)

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def _objective_form(objective=None, **changes) -> dict:
    data = {
        "title": "Grow revenue",
        "description": "",
        "owner": "",
        "period": "2026-Q4",
        "parent": "",
        "team": "",
        "weight": "2",
        "status": "active",
    }
    if objective is not None:
        data |= {
            "title": objective.title,
            "period": objective.period,
            "weight": str(objective.weight),
            "status": objective.status,
            "version": str(objective.version),
        }
    return data | changes


def _kr_form(kr=None, **changes) -> dict:
    data = {
        "title": "Expansion revenue",
        "kind": "increase",
        "start": "0",
        "target": "100",
        "current": "",
        "unit": "k$",
        "weight": "1",
        "metric": "",
    }
    if kr is not None:
        data |= {
            "objective": str(kr.objective_id),
            "title": kr.title,
            "kind": kr.kind,
            "start": str(kr.start),
            "target": str(kr.target),
            "current": str(kr.current),
            "unit": kr.unit,
            "weight": str(kr.weight),
            "version": str(kr.version),
        }
    return data | changes


def _priority(initiative) -> float:
    services.initiatives_rescore_marked()
    return Initiative.objects.get(pk=initiative.pk).priority_score


@pytest.fixture
def aligned(product_user):
    objective = ObjectiveFactory(title="Grow revenue", weight=2)
    kr = okr_services.key_result_create(
        actor=None, objective=objective, title="Revenue", start=0, target=100, current=20
    )
    initiative = InitiativeFactory(title="Upsell", reach=100, impact=1, confidence=100, effort=1)
    AlignmentFactory(initiative=initiative, key_result=kr, contribution="strong")
    services.initiatives_rescore_marked()
    return {"objective": objective, "kr": kr, "initiative": initiative}


# --- Objectives -----------------------------------------------------------------


def test_product_creates_an_objective_for_the_current_quarter_by_default(product_client):
    page = product_client.get(reverse("okrs:objective-new")).content.decode()
    assert f'value="{current_quarter()}"' in page
    response = product_client.post(
        reverse("okrs:objective-new"), _objective_form(period=""), headers=HTMX
    )
    objective = Objective.objects.get()
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("okrs:objective", args=[objective.pk])
    assert (objective.title, objective.period, objective.weight) == (
        "Grow revenue",
        current_quarter(),
        2.0,
    )
    entry = AuditEntry.objects.get(object_id=objective.pk, content_type__model="objective")
    assert entry.action == "create"


def test_a_refused_objective_shows_its_field_errors_inline(product_client):
    response = product_client.post(
        reverse("okrs:objective-new"),
        _objective_form(title="", weight="0", period="soon"),
        headers=HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert html.startswith('<form id="objective-new-form"')
    assert '<span class="field-error" id="id_weight_error">Must be more than 0.</span>' in html
    assert "Enter a quarter like 2026-Q4." in html
    assert "This field is required." in html
    assert not Objective.objects.exists()


def test_editing_an_objective_weight_and_status_moves_aligned_priorities(
    product_client, aligned, product_user
):
    objective, initiative = aligned["objective"], aligned["initiative"]
    before = _priority(initiative)
    url = reverse("okrs:objective", args=[objective.pk])
    response = product_client.post(url, _objective_form(objective, weight="5"), headers=HTMX)
    assert response.status_code == 204
    assert response["HX-Redirect"] == url
    heavier = _priority(initiative)
    assert heavier > before
    objective.refresh_from_db()
    response = product_client.post(url, _objective_form(objective, status="cancelled"))
    assert response.status_code == 302
    assert _priority(initiative) < heavier
    changes = [
        e.changes
        for e in AuditEntry.objects.filter(content_type__model="objective", actor=product_user)
    ]
    assert changes == [{"status": ["active", "cancelled"]}, {"weight": [2.0, 5.0]}]


def test_a_stale_objective_edit_is_refused_with_both_versions(product_client, aligned):
    objective = aligned["objective"]
    seen = _objective_form(objective, title="My title")
    okr_services.objective_update(actor=None, objective=objective, data={"title": "Sam's title"})
    response = product_client.post(
        reverse("okrs:objective", args=[objective.pk]), seen, headers=HTMX
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert html.startswith(
        '<section class="card" aria-labelledby="edit-title" id="objective-edit">'
    )
    assert "Someone else changed this objective while you were editing." in html
    assert '<th scope="row">Title</th><td>Sam&#x27;s title</td><td>My title</td>' in html
    assert 'value="My title"' in html
    assert f'name="version" value="{objective.version + 1}"' in html
    assert Objective.objects.get(pk=objective.pk).title == "Sam's title"


def test_the_objective_page_shows_key_results_check_ins_and_history(product_client, aligned):
    kr = aligned["kr"]
    okr_services.check_in_create(actor=None, key_result=kr, value=35, confidence="at_risk")
    okr_services.key_result_update(actor=None, key_result=kr, data={"target": 90})
    html = product_client.get(reverse("okrs:objective", args=[aligned["objective"].pk])).content
    html = html.decode()
    assert f'<li class="kr grade-red" id="kr-{kr.pk}">' in html
    assert "Recent check-ins of Revenue" in html
    assert "At risk" in html
    assert "Key result “Revenue”" in html  # its history is filed under the objective
    assert '<span class="stat-value">1</span>' in html  # one aligned initiative


def test_deleting_an_objective_goes_back_to_the_tree(product_client, aligned):
    objective = aligned["objective"]
    response = product_client.post(
        reverse("okrs:objective-delete", args=[objective.pk]), headers=HTMX
    )
    assert response["HX-Redirect"] == reverse("okrs:index")
    assert not Objective.objects.exists()
    assert not KeyResult.objects.exists()
    assert AuditEntry.objects.filter(action="delete").count() == 2  # the objective and its KR


# --- Key results ----------------------------------------------------------------


def test_product_adds_a_key_result_on_the_objective_page(product_client, aligned):
    objective = aligned["objective"]
    response = product_client.post(
        reverse("okrs:key-result-add", args=[objective.pk]),
        _kr_form(start="10", target="40"),
        headers=HTMX,
    )
    kr = KeyResult.objects.get(title="Expansion revenue")
    assert response.status_code == 204
    assert response["HX-Redirect"] == f"/okrs/objectives/{objective.pk}/"
    assert (kr.objective, kr.start, kr.target, kr.current, kr.unit) == (
        objective,
        10,
        40,
        10,  # no current given and no metric: it starts at the start
        "k$",
    )


def test_a_new_key_result_on_a_metric_starts_from_its_latest_reading(product_client, aligned):
    metric = MetricFactory(key="nps", name="NPS")
    MetricReadingFactory(metric=metric, value=31)
    product_client.post(
        reverse("okrs:key-result-add", args=[aligned["objective"].pk]),
        _kr_form(title="NPS 45", target="45", metric=str(metric.pk)),
        headers=HTMX,
    )
    assert KeyResult.objects.get(title="NPS 45").current == 31


def test_a_refused_key_result_shows_its_errors_in_the_add_form(product_client, aligned):
    response = product_client.post(
        reverse("okrs:key-result-add", args=[aligned["objective"].pk]),
        _kr_form(title="", target="", weight="-1"),
        headers=HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert html.startswith('<section class="card" aria-labelledby="kr-add-title" id="kr-add">')
    required = "This field is required."
    assert f'<span class="field-error" id="kr-new-target_error">{required}</span>' in html
    assert '<span class="field-error" id="kr-new-weight_error">Must be more than 0.</span>' in html
    assert KeyResult.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value"), [("current", "80"), ("target", "40"), ("kind", "milestone")]
)
def test_editing_a_key_result_in_place_moves_the_aligned_priority(
    product_client, aligned, product_user, field, value
):
    kr, initiative = aligned["kr"], aligned["initiative"]
    before = _priority(initiative)
    edit = product_client.get(reverse("okrs:key-result-edit", args=[kr.pk]), headers=HTMX)
    assert f'hx-post="/okrs/key-results/{kr.pk}/edit/"' in edit.content.decode()
    response = product_client.post(
        reverse("okrs:key-result-edit", args=[kr.pk]), _kr_form(kr, **{field: value}), headers=HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="kr-{kr.pk}"' in html
    assert "Saved. Aligned initiatives are re-prioritised." in html
    assert f'id="objective-progress-{kr.objective_id}" hx-swap-oob="true"' in html
    assert _priority(initiative) != pytest.approx(before)
    entry = AuditEntry.objects.filter(content_type__model="keyresult", action="update").get()
    assert entry.actor == product_user
    assert list(entry.changes) == [field]


def test_a_stale_key_result_edit_is_refused_with_both_versions(product_client, aligned):
    kr = aligned["kr"]
    seen = _kr_form(kr, target="150")
    okr_services.key_result_update(actor=None, key_result=kr, data={"target": 120})
    response = product_client.post(
        reverse("okrs:key-result-edit", args=[kr.pk]), seen, headers=HTMX
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert "Someone else changed this key result while you were editing." in html
    assert '<th scope="row">Target</th><td>120</td><td>150</td>' in html
    assert KeyResult.objects.get(pk=kr.pk).target == 120


def test_cancel_puts_the_key_result_back_and_delete_removes_it(product_client, aligned):
    kr = aligned["kr"]
    html = product_client.get(reverse("okrs:key-result", args=[kr.pk]), headers=HTMX).content
    assert html.decode().lstrip().startswith(f'<li class="kr grade-red" id="kr-{kr.pk}">')
    response = product_client.post(reverse("okrs:key-result-delete", args=[kr.pk]), headers=HTMX)
    assert response["HX-Redirect"] == reverse("okrs:objective", args=[kr.objective_id])
    assert not KeyResult.objects.exists()


def test_without_javascript_the_key_result_edit_is_a_page(product_client, aligned):
    kr = aligned["kr"]
    page = product_client.get(reverse("okrs:key-result-edit", args=[kr.pk]))
    assert "<title>Revenue · Priority</title>" in page.content.decode()
    response = product_client.post(
        reverse("okrs:key-result-edit", args=[kr.pk]), _kr_form(kr, current="60")
    )
    assert response.status_code == 302
    assert KeyResult.objects.get(pk=kr.pk).current == 60


# --- Metrics --------------------------------------------------------------------


@pytest.fixture
def nps(aligned):
    metric = MetricFactory(key="nps", name="NPS", unit="pts")
    MetricReadingFactory(metric=metric, value=28)
    okr_services.metric_readings_ingest(actor=None, metric=metric, items=[{"value": 33}])
    okr_services.key_result_update(actor=None, key_result=aligned["kr"], data={"metric": metric})
    return metric


def test_the_metrics_page_shows_the_latest_value_and_the_key_results_tracking_it(
    marketing_client, nps, aligned
):
    html = marketing_client.get(reverse("okrs:metrics")).content.decode()
    row = re.search(rf'<tbody id="metric-{nps.pk}".*?</tbody>', html, re.S).group(0)
    assert "<strong>33</strong> pts" in row
    assert (
        f'href="/okrs/objectives/{aligned["objective"].pk}/#kr-{aligned["kr"].pk}">Revenue</a>'
        in row
    )
    for control in ("Edit", "Delete", "Add a metric"):
        assert control not in html


def test_product_adds_edits_and_deletes_a_metric(product_client, product_user):
    response = product_client.post(
        reverse("okrs:metric-add"),
        {"key": "dau", "name": "DAU", "unit": "users", "direction": "increase"},
        headers=HTMX,
    )
    assert response["HX-Redirect"] == reverse("okrs:metrics")
    metric = Metric.objects.get(key="dau")
    edit = product_client.get(reverse("okrs:metric-edit", args=["dau"]), headers=HTMX)
    fingerprint = re.search(r'name="fingerprint" value="(\w+)"', edit.content.decode()).group(1)
    response = product_client.post(
        reverse("okrs:metric-edit", args=["dau"]),
        {
            "name": "Daily actives",
            "unit": "users",
            "direction": "increase",
            "description": "",
            "fingerprint": fingerprint,
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    assert (
        f'<tbody id="metric-{metric.pk}" class="row-group is-saved">' in response.content.decode()
    )
    assert Metric.objects.get(key="dau").name == "Daily actives"
    stale = product_client.post(
        reverse("okrs:metric-edit", args=["dau"]),
        {
            "name": "Mine",
            "unit": "users",
            "direction": "increase",
            "description": "",
            "fingerprint": fingerprint,
        },
        headers=HTMX,
    )
    assert stale.status_code == 409
    assert '<th scope="row">Name</th><td>Daily actives</td><td>Mine</td>' in stale.content.decode()
    product_client.post(reverse("okrs:metric-delete", args=["dau"]), headers=HTMX)
    assert not Metric.objects.exists()
    actions = AuditEntry.objects.filter(content_type__model="metric").values_list(
        "action", flat=True
    )
    assert sorted(actions) == ["create", "delete", "update"]


def test_a_refused_metric_shows_its_errors(product_client, nps):
    response = product_client.post(
        reverse("okrs:metric-add"),
        {"key": "nps", "name": "", "direction": "increase"},
        headers=HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "Metric with this Key already exists." in html
    required = "This field is required."
    assert f'<span class="field-error" id="metric-new-name_error">{required}</span>' in html


# --- Marketing reads, integration is not sent where it is refused -------------------


def test_marketing_sees_the_objective_page_without_edit_controls(marketing_client, aligned):
    html = marketing_client.get(reverse("okrs:objective", args=[aligned["objective"].pk]))
    html = html.content.decode()
    assert "Revenue" in html
    for control in ("Edit objective", "Save changes", "Delete", "Add a key result", "hx-post"):
        assert control not in html
    assert "New objective" not in marketing_client.get(reverse("okrs:index")).content.decode()


def test_marketing_writes_are_refused(marketing_client, aligned):
    objective, kr = aligned["objective"], aligned["kr"]
    for url, data in [
        (reverse("okrs:objective", args=[objective.pk]), _objective_form(objective)),
        (reverse("okrs:objective-new"), _objective_form()),
        (reverse("okrs:key-result-add", args=[objective.pk]), _kr_form()),
        (reverse("okrs:key-result-edit", args=[kr.pk]), _kr_form(kr, current="90")),
        (reverse("okrs:metric-add"), {"key": "x", "name": "X", "direction": "increase"}),
    ]:
        assert marketing_client.post(url, data).status_code == 403, url
    assert KeyResult.objects.get().current == 20
