"""A quarantined initiative is shown to `product` (priorities, its page) and counted in /readyz."""

import pytest
from django.utils import timezone

from roadmap.models import ScoreQuarantine
from tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

ERROR = "ScoringError: the score is not a finite number"


@pytest.fixture
def held():
    initiative = InitiativeFactory(title="Poisoned <b>bet</b>")
    now = timezone.now()
    return ScoreQuarantine.objects.create(
        initiative=initiative, error=ERROR, attempts=3, first_failed_at=now, last_failed_at=now
    )


def test_product_sees_quarantined_initiatives_with_their_error(product_client, held):
    page = product_client.get("/priorities/").content.decode()
    assert "1 initiative could not be scored." in page
    assert ERROR in page
    assert "Poisoned &lt;b&gt;bet&lt;/b&gt;" in page
    detail = product_client.get(f"/initiatives/{held.initiative_id}/").content.decode()
    assert "This initiative could not be scored" in detail
    assert "3 attempts" in detail


def test_marketing_does_not_see_the_errors(marketing_client, held):
    assert ERROR not in marketing_client.get("/priorities/").content.decode()
    assert ERROR not in marketing_client.get(f"/initiatives/{held.initiative_id}/").content.decode()


def test_nothing_is_shown_when_nothing_is_held(product_client):
    InitiativeFactory()
    assert "could not be scored" not in product_client.get("/priorities/").content.decode()


def test_readyz_is_degraded_with_the_quarantined_ids_and_no_errors(client, held):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["quarantine"] == {
        "ok": False,
        "count": 1,
        "initiatives": [held.initiative_id],
    }
    assert ERROR not in response.content.decode()


def test_readyz_and_healthz_are_ok_on_a_healthy_app(client):
    InitiativeFactory()
    body = client.get("/readyz").json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["backlog"]["marked_initiatives"] == 1
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_is_503_when_the_database_is_down(client, monkeypatch):
    from ops import selectors

    monkeypatch.setattr(selectors, "database_check", lambda: {"ok": False, "error": "down"})
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
