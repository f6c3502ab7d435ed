import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from tests.api.problems import problem
from tests.factories import (
    InitiativeFactory,
    KeyResultFactory,
    MetricFactory,
    ObjectiveFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

RESOURCES = [
    "/api/v1/objectives/",
    "/api/v1/key-results/",
    "/api/v1/metrics/",
    "/api/v1/initiatives/",
    "/api/v1/alignments/",
    "/api/v1/evidence/",
    "/api/v1/customers/",
    "/api/v1/segments/",
    "/api/v1/priorities/",
    "/api/v1/webhooks/",
]


@pytest.mark.parametrize("url", RESOURCES)
def test_unauthenticated_requests_get_401_with_a_bearer_challenge(anon, url):
    response = anon.get(url)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert problem(response)["detail"] == "Authentication credentials were not provided."


def test_a_wrong_token_gets_401(anon):
    anon.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = anon.get("/api/v1/initiatives/")

    assert response.status_code == 401
    assert problem(response)["detail"] == "Invalid token."


@pytest.mark.parametrize("url", RESOURCES)
def test_an_account_without_a_role_gets_403(no_role, url):
    response = no_role.get(url)

    assert response.status_code == 403
    assert problem(response)["detail"] == (
        "This account has no role in Priority; ask an admin for one."
    )


@pytest.mark.parametrize("url", [u for u in RESOURCES if not u.endswith("webhooks/")])
@pytest.mark.parametrize("role", ["product", "marketing", "integration", "admin"])
def test_every_role_reads_everything(request, role, url):
    client = request.getfixturevalue(role)

    assert client.get(url).status_code == 200


def test_marketing_may_add_evidence_but_not_edit_the_roadmap(marketing):
    initiative = InitiativeFactory()

    evidence = marketing.post(
        "/api/v1/evidence/", {"source": "interview", "text": "Needs SSO"}, format="json"
    )
    create = marketing.post("/api/v1/initiatives/", {"title": "x"}, format="json")
    edit = marketing.patch(f"/api/v1/initiatives/{initiative.pk}/", {"title": "y"}, format="json")
    objective = marketing.post(
        "/api/v1/objectives/", {"title": "x", "period": "2026-Q4"}, format="json"
    )
    readings = marketing.post(
        f"/api/v1/metrics/{MetricFactory(key='nps').key}/readings/", {"value": 1}, format="json"
    )
    webhooks = marketing.get("/api/v1/webhooks/")

    assert evidence.status_code == 201
    assert create.status_code == 403
    assert problem(create)["detail"] == "Only product may change the roadmap."
    assert edit.status_code == 403
    assert objective.status_code == 403
    assert readings.status_code == 403
    assert webhooks.status_code == 403


def test_integration_pushes_evidence_and_readings_but_never_edits_or_deletes(integration):
    initiative = InitiativeFactory()
    objective = ObjectiveFactory()
    kr = KeyResultFactory(objective=objective)
    MetricFactory(key="dau")

    assert (
        integration.post(
            "/api/v1/evidence/", {"source": "support", "text": "Slow export"}, format="json"
        ).status_code
        == 201
    )
    assert (
        integration.post("/api/v1/metrics/dau/readings/", {"value": 5}, format="json").status_code
        == 201
    )
    forbidden = [
        integration.patch(f"/api/v1/initiatives/{initiative.pk}/", {"title": "y"}, format="json"),
        integration.delete(f"/api/v1/initiatives/{initiative.pk}/"),
        integration.patch(f"/api/v1/objectives/{objective.pk}/", {"title": "y"}, format="json"),
        integration.delete(f"/api/v1/objectives/{objective.pk}/"),
        integration.delete(f"/api/v1/key-results/{kr.pk}/"),
        integration.post("/api/v1/initiatives/", {"title": "x"}, format="json"),
    ]
    assert [r.status_code for r in forbidden] == [403] * len(forbidden)
    initiative.refresh_from_db()
    assert initiative.title != "y"


def test_only_product_may_change_or_delete_evidence(marketing, integration, product):
    created = integration.post(
        "/api/v1/evidence/", {"source": "support", "text": "Slow export"}, format="json"
    ).json()
    url = f"/api/v1/evidence/{created['id']}/"

    assert marketing.delete(url).status_code == 403
    assert integration.patch(url, {"initiative": None}, format="json").status_code == 403
    assert product.delete(url).status_code == 204


def test_drf_create_token_command_makes_a_token_that_authenticates(anon, capsys):
    user = UserFactory(username="crm-bot", groups=["integration"])

    call_command("drf_create_token", "crm-bot")

    token = Token.objects.get(user=user)
    assert token.key in capsys.readouterr().out
    anon.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert anon.get("/api/v1/priorities/").status_code == 200


def test_session_auth_works_for_the_browser(client, product_user):
    client.force_login(product_user)

    assert client.get("/api/v1/initiatives/").status_code == 200
