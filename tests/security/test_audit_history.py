"""Audit history is shown: on the initiative page and at .../history/ in the API."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from okrs import services as okr_services
from roadmap import services
from tests.factories import InitiativeFactory, KeyResultFactory, ObjectiveFactory, UserFactory
from tests.security.conftest import api_client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def edited(product_user):
    """An initiative edited twice and aligned, re-weighted and un-aligned to a key result."""
    kr = KeyResultFactory(title="Expansion revenue")
    initiative = services.initiative_create(actor=product_user, title="SSO", reach=10, impact=1.0)
    initiative = services.initiative_update(
        actor=product_user, initiative=initiative, data={"reach": 40, "lane": "now"}
    )
    services.initiative_update(
        actor=product_user, initiative=initiative, data={"impact": 2.0, "team": "Growth"}
    )
    alignment = services.alignment_set(
        actor=product_user, initiative=initiative, key_result=kr, contribution="weak"
    )
    services.alignment_set(
        actor=product_user, initiative=initiative, key_result=kr, contribution="strong"
    )
    services.alignment_remove(actor=product_user, alignment=alignment)
    initiative.refresh_from_db()
    return initiative


def _rows(html: str) -> list[str]:
    section = html.split('id="audit-title"')[1].split("</section>")[0]
    return section.split('class="list-item audit-entry"')[1:]


def test_initiative_page_shows_who_changed_which_field_from_what_to_what(
    client, marketing_user, edited
):
    client.force_login(marketing_user)
    html = client.get(f"/initiatives/{edited.pk}/").content.decode()
    rows = _rows(html)
    assert len(rows) == 6
    newest = rows[0]
    assert "pat" in newest
    assert "Deleted" in newest
    assert "Alignment to “Expansion revenue”" in newest
    assert '<td class="audit-old">Strong (1.0)</td><td class="audit-new">—</td>' in newest
    changed = rows[1]
    assert (
        '<td class="audit-old">Weak (0.25)</td><td class="audit-new">Strong (1.0)</td>' in changed
    )
    edit = rows[3]
    assert '<tr data-field="impact"><th scope="row">Impact</th>' in edit
    assert '<td class="audit-old">Medium (1)</td><td class="audit-new">High (2)</td>' in edit
    assert '<td class="audit-old">—</td><td class="audit-new">Growth</td>' in edit
    first_edit = rows[4]
    assert '<td class="audit-old">10</td><td class="audit-new">40</td>' in first_edit
    assert '<td class="audit-old">Later</td><td class="audit-new">Now</td>' in first_edit
    created = rows[5]
    assert "Created" in created
    assert '<td class="audit-old">—</td><td class="audit-new">SSO</td>' in created


def test_history_names_a_changed_owner_by_name_not_id(client, product_user, edited):
    other = UserFactory(username="olga", first_name="Olga", last_name="Ek")
    services.initiative_update(actor=product_user, initiative=edited, data={"owner": other})
    client.force_login(product_user)
    html = client.get(f"/initiatives/{edited.pk}/").content.decode()
    assert '<td class="audit-old">pat</td><td class="audit-new">Olga Ek</td>' in _rows(html)[0]


def test_initiative_page_query_count_does_not_grow_with_history(client, product_user, edited):
    client.force_login(product_user)
    url = f"/initiatives/{edited.pk}/"
    client.get(url)  # warm the session and permission caches
    with CaptureQueriesContext(connection) as short:
        client.get(url)
    owners = [UserFactory(username=f"owner{n}") for n in range(3)]
    kr = KeyResultFactory()
    for n in range(30):
        services.initiative_update(
            actor=product_user,
            initiative=edited,
            data={"reach": 100 + n, "owner": owners[n % 3]},
        )
        services.alignment_set(
            actor=product_user,
            initiative=edited,
            key_result=kr,
            contribution=("weak", "strong")[n % 2],
        )
    with CaptureQueriesContext(connection) as long:
        html = client.get(url).content.decode()
    assert len(_rows(html)) == 20  # one page of history
    assert 'href="?history=2#history"' in html
    assert len(long.captured_queries) == len(short.captured_queries)


def test_history_pages_are_reachable_from_the_page(client, product_user, edited):
    for n in range(25):
        services.initiative_update(actor=product_user, initiative=edited, data={"reach": 200 + n})
    client.force_login(product_user)
    html = client.get(f"/initiatives/{edited.pk}/?history=2").content.decode()
    assert len(_rows(html)) == 31 - 20
    assert "Page 2 of 2" in html


@pytest.mark.parametrize("role", ["product", "marketing", "integration", "superuser"])
def test_every_reading_role_gets_the_initiative_history_from_the_api(users, role, edited):
    response = api_client_for(users[role]).get(f"/api/v1/initiatives/{edited.pk}/history/")
    assert response.status_code == 200
    body = response.json()
    assert len(body["results"]) == 6
    assert body["next"] is None
    newest, *_, created = body["results"]
    assert newest["action"] == "delete"
    assert newest["object_type"] == "alignment"
    assert newest["actor"] == "pat"
    assert newest["changes"]["contribution"] == ["strong", None]
    assert body["results"][3]["changes"] == {
        "impact": [1.0, 2.0],
        "team": ["", "Growth"],
    }
    assert body["results"][4]["changes"] == {"reach": [10, 40], "lane": ["later", "now"]}
    assert created["object_type"] == "initiative"
    assert created["changes"]["title"] == [None, "SSO"]
    assert set(newest) == {
        "id",
        "created_at",
        "actor",
        "actor_id",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "changes",
    }


def test_api_history_is_paginated(users, product_user, edited):
    for n in range(60):
        services.initiative_update(actor=product_user, initiative=edited, data={"reach": 300 + n})
    client = api_client_for(users["marketing"])
    first = client.get(f"/api/v1/initiatives/{edited.pk}/history/").json()
    assert len(first["results"]) == 50
    assert first["results"][0]["changes"] == {"reach": [358, 359]}
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 16
    assert second["next"] is None


def test_objective_and_key_result_history_in_the_api(users, product_user):
    objective = okr_services.objective_create(
        actor=product_user, title="Grow", period="2026-Q4", weight=1.0
    )
    okr_services.objective_update(actor=product_user, objective=objective, data={"weight": 3.0})
    kr = okr_services.key_result_create(
        actor=product_user, objective=objective, title="NPS", start=0, target=50
    )
    okr_services.key_result_update(actor=product_user, key_result=kr, data={"target": 60})
    client = api_client_for(users["integration"])

    objective_history = client.get(f"/api/v1/objectives/{objective.pk}/history/").json()
    kr_history = client.get(f"/api/v1/key-results/{kr.pk}/history/").json()

    # An objective's history includes its key results', as an initiative's its alignments'.
    assert [(e["object_type"], e["action"]) for e in objective_history["results"]] == [
        ("keyresult", "update"),
        ("keyresult", "create"),
        ("objective", "update"),
        ("objective", "create"),
    ]
    assert objective_history["results"][2]["changes"] == {"weight": [1.0, 3.0]}
    assert [e["action"] for e in kr_history["results"]] == ["update", "create"]
    assert kr_history["results"][0]["changes"] == {"target": [50.0, 60]}
    assert kr_history["results"][0]["object_type"] == "keyresult"


@pytest.mark.parametrize(("role", "status"), [("anonymous", 401), ("no_role", 403)])
@pytest.mark.parametrize("resource", ["initiatives", "objectives", "key-results"])
def test_history_is_refused_to_accounts_that_cannot_read(users, role, status, resource):
    obj = {
        "initiatives": InitiativeFactory,
        "objectives": ObjectiveFactory,
        "key-results": KeyResultFactory,
    }[resource]()
    response = api_client_for(users[role]).get(f"/api/v1/{resource}/{obj.pk}/history/")
    assert response.status_code == status


def test_history_of_a_missing_object_is_404(users):
    response = api_client_for(users["product"]).get("/api/v1/initiatives/999999/history/")
    assert response.status_code == 404


def test_history_endpoints_are_in_the_schema(client):
    schema = client.get("/api/schema/?format=json").json()
    for resource in ("initiatives", "objectives", "key-results"):
        operation = schema["paths"][f"/api/v1/{resource}/{{id}}/history/"]["get"]
        ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok["$ref"] == "#/components/schemas/PaginatedAuditEntryList"
    entry = schema["components"]["schemas"]["AuditEntry"]
    assert entry["properties"]["changes"]["additionalProperties"]["maxItems"] == 2
