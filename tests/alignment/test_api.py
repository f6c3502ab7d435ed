"""The read-only alignment API for BI tools: auth, filters, exact figures, OpenAPI schema."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.alignment.conftest import Q4
from tests.api.problems import fields, problem
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BASE = "/api/v1/alignment/"
ENDPOINTS = ["matrix", "unaligned", "unserved", "effort", "segments"]


def _token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def bi(world, integration_user):
    """A BI tool's integration account, by token."""
    return _token_client(integration_user)


@pytest.mark.parametrize("name", ENDPOINTS)
def test_anonymous_gets_401(name):
    assert APIClient().get(f"{BASE}{name}/").status_code == 401


@pytest.mark.parametrize("name", ENDPOINTS)
def test_account_without_a_role_gets_403(name, db):
    response = _token_client(UserFactory(username="nora")).get(f"{BASE}{name}/")
    assert response.status_code == 403
    assert problem(response)["detail"] == (
        "This account has no role in Priority; ask an admin for one."
    )


@pytest.mark.parametrize("name", ENDPOINTS)
def test_endpoints_are_read_only(name, bi):
    assert bi.post(f"{BASE}{name}/", {}, format="json").status_code == 405
    assert bi.delete(f"{BASE}{name}/").status_code == 405


def test_session_auth_works_for_a_marketing_user(client, world, marketing_user):
    client.force_login(marketing_user)
    response = client.get(f"{BASE}unaligned/")
    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_bad_filters_get_a_400_with_field_errors(bi):
    response = bi.get(f"{BASE}matrix/", {"period": "Q4", "lane": "someday"})
    assert response.status_code == 400
    assert fields(response) == {
        "period": ["Enter a quarter like 2026-Q4."],
        "lane": ['"someday" is not a valid choice.'],
    }


def test_matrix_in_a_period(bi, world):
    body = bi.get(f"{BASE}matrix/", {"period": Q4}).json()
    assert body["filters"] == {"period": Q4, "lane": "", "team": ""}
    assert [(c["title"], c["weight_total"], c["links"]) for c in body["columns"]] == [
        ("A", 1.25, 2),
        ("B", 1.0, 2),
        ("C", 0.25, 1),
    ]
    assert (body["weight_total"], body["links"]) == (2.5, 5)
    rows = {(r["kind"], r["title"]): r for r in body["rows"]}
    assert list(rows) == [
        ("objective", "Grow"),
        ("key_result", "KR1a"),
        ("key_result", "KR1b"),
        ("objective", "Retain"),
        ("key_result", "KR2a"),
        ("key_result", "KR2b"),
    ]
    a, b, c = world.a.pk, world.b.pk, world.c.pk
    assert rows["key_result", "KR1a"]["cells"] == [
        {"initiative_id": a, "contribution": "strong", "weight": 1.0},
        {"initiative_id": b, "contribution": "medium", "weight": 0.5},
    ]
    assert rows["objective", "Grow"]["cells"] == [
        {"initiative_id": a, "contribution": None, "weight": 1.0},
        {"initiative_id": b, "contribution": None, "weight": 1.0},
        {"initiative_id": c, "contribution": None, "weight": 0.25},
    ]
    assert (rows["objective", "Grow"]["weight_total"], rows["objective", "Grow"]["links"]) == (
        2.25,
        4,
    )
    assert rows["key_result", "KR2b"]["cells"] == []


def test_unaligned_with_lane_and_team(bi, world):
    body = bi.get(f"{BASE}unaligned/", {"lane": "now", "team": "Core"}).json()
    assert body == {
        "filters": {"period": "", "lane": "now", "team": "Core"},
        "count": 1,
        "effort": 5.0,
        "initiatives": [
            {
                "id": world.d.pk,
                "title": "D",
                "status": "planned",
                "lane": "now",
                "team": "Core",
                "effort": 5.0,
                "priority_score": 30.0,
                "rank": 4,
                "evidence_count": 0,
            }
        ],
    }


def test_unserved_counts_and_flags(bi, world):
    body = bi.get(f"{BASE}unserved/").json()
    assert (body["unserved_objectives"], body["unserved_key_results"]) == (0, 1)
    assert (body["lagging_objectives"], body["lagging_key_results"]) == (2, 4)
    kr2b = next(r for r in body["rows"] if r["title"] == "KR2b")
    assert kr2b == {
        "kind": "key_result",
        "id": world.kr2b.pk,
        "objective_id": world.o2.pk,
        "objective_title": "Retain",
        "title": "KR2b",
        "period": Q4,
        "progress": 0.9,
        "planned_initiatives": 0,
        "unserved": True,
        "low_progress": False,
        "few_initiatives": True,
        "lagging": True,
    }


def test_effort_split_and_shares(bi, world):
    body = bi.get(f"{BASE}effort/").json()
    assert body["planned_person_months"] == 17.0
    assert (body["unaligned_person_months"], body["unaligned_share"]) == (5.0, 0.2941)
    assert body["unaligned_initiatives"] == 1
    assert [
        (o["title"], o["person_months"], o["effort_share"], o["weight_share"], o["gap"])
        for o in body["objectives"]
    ] == [
        ("Grow", 5.2, 0.3059, 0.5, -0.1941),
        ("Retain", 0.8, 0.0471, 0.1667, -0.1196),
        ("Expand", 6.0, 0.3529, 0.3333, 0.0196),
    ]


def test_segments_heat_map_revenue_and_coverage(bi, world):
    body = bi.get(f"{BASE}segments/", {"team": "Growth"}).json()
    assert [c["name"] for c in body["columns"]] == ["Agency", "Enterprise", "Startup", "No segment"]
    assert body["columns"][-1] == {"id": None, "name": "No segment", "weight": None}
    b = body["initiatives"][0]
    assert (b["title"], b["evidence"], b["customers"], b["revenue"]) == ("B", 3, 2, "25000.00")
    assert b["cells"] == [
        {"segment_id": world.agency.pk, "evidence": 0},
        {"segment_id": world.enterprise.pk, "evidence": 0},
        {"segment_id": world.startup.pk, "evidence": 2},
        {"segment_id": None, "evidence": 1},
    ]
    unanswered = [c["name"] for c in body["coverage"] if c["unanswered"]]
    assert unanswered == ["Agency", "Enterprise"]
    enterprise = next(c for c in body["coverage"] if c["name"] == "Enterprise")
    assert enterprise == {
        "id": world.enterprise.pk,
        "name": "Enterprise",
        "evidence": 5,
        "unlinked": 1,
        "on_planned": 0,
        "on_other": 4,
        "customers": 2,
        "planned_initiatives": 0,
        "unanswered": True,
    }


def test_schema_documents_every_endpoint_with_filters_and_response_shapes(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    for name, component in [
        ("matrix", "Matrix"),
        ("unaligned", "Unaligned"),
        ("unserved", "Unserved"),
        ("effort", "Effort"),
        ("segments", "Segments"),
    ]:
        operation = schema["paths"][f"/api/v1/alignment/{name}/"]["get"]
        assert set(schema["paths"][f"/api/v1/alignment/{name}/"]) == {"get"}
        assert {p["name"] for p in operation["parameters"]} == {"period", "lane", "team"}
        ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok == {"$ref": f"#/components/schemas/{component}"}
        assert {"400", "401", "403"} <= set(operation["responses"])
        assert component in schema["components"]["schemas"]
