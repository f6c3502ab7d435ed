"""`/api/v1/key-results/{id}/check-ins/`: list newest first (cursor), check in, retry safely."""

import pytest

from okrs import services
from okrs.models import CheckIn, KeyResult
from roadmap.models import Initiative
from roadmap.services import initiatives_rescore_marked
from tests.api.problems import fields
from tests.factories import AlignmentFactory, InitiativeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def kr():
    metric = services.metric_create(actor=None, key="nps", name="NPS")
    objective = services.objective_create(actor=None, title="Love", period="2026-Q4", team="Growth")
    return services.key_result_create(
        actor=None, objective=objective, title="NPS 30 to 50", metric=metric, start=30, target=50
    )


def _url(kr):
    return f"/api/v1/key-results/{kr.pk}/check-ins/"


def test_product_checks_in_and_the_aligned_initiative_moves(product, product_user, kr):
    initiative = InitiativeFactory()
    AlignmentFactory(initiative=initiative, key_result=kr, contribution="strong")
    services.key_result_update(actor=None, key_result=kr, data={"current": 30})
    initiatives_rescore_marked()
    before = Initiative.objects.get(pk=initiative.pk).priority_score
    assert before > 0

    answer = product.post(
        _url(kr), {"value": 48, "confidence": "at_risk", "note": "Survey in"}, format="json"
    )

    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert (body["value"], body["confidence"], body["note"]) == (48, "at_risk", "Survey in")
    assert body["author"] == product_user.username
    assert body["key_result"] == kr.pk
    stored = KeyResult.objects.get(pk=kr.pk)
    assert (stored.current, stored.confidence) == (48, "at_risk")
    initiatives_rescore_marked()  # what the worker does after the commit
    assert Initiative.objects.get(pk=initiative.pk).priority_score < before  # smaller gap


def test_a_retry_with_the_same_external_id_does_not_duplicate(product, kr):
    body = {"value": 40, "confidence": "on_track", "external_id": "weekly-2026-48"}
    first = product.post(_url(kr), body, format="json")
    again = product.post(_url(kr), body, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert CheckIn.objects.filter(key_result=kr).count() == 1


def test_a_late_check_in_through_the_api_is_listed_but_does_not_move_current(product, kr):
    services.metric_readings_ingest(
        actor=None, metric=kr.metric, items=[{"value": 44, "observed_at": "2026-11-20T00:00:00Z"}]
    )
    late = product.post(
        _url(kr),
        {"value": 31, "confidence": "off_track", "checked_at": "2026-11-10T00:00:00Z"},
        format="json",
    )
    assert late.status_code == 201
    assert KeyResult.objects.get(pk=kr.pk).current == 44
    assert [c["value"] for c in product.get(_url(kr)).json()["results"]] == [31]


def test_a_late_reading_through_the_api_does_not_overwrite_a_newer_check_in(
    product, integration, kr
):
    product.post(
        _url(kr),
        {"value": 47, "confidence": "on_track", "checked_at": "2026-11-20T00:00:00Z"},
        format="json",
    )
    pushed = integration.post(
        "/api/v1/metrics/nps/readings/",
        {"value": 35, "observed_at": "2026-11-01T00:00:00Z"},
        format="json",
    )
    assert pushed.status_code == 201
    assert KeyResult.objects.get(pk=kr.pk).current == 47


def test_the_list_is_newest_first_and_cursor_paginated(marketing, kr):
    for day in range(1, 8):
        services.check_in_create(
            actor=None,
            key_result=kr,
            value=30 + day,
            confidence="on_track",
            checked_at=f"2026-11-{day:02d}T09:00:00+00:00",
        )
    first = marketing.get(_url(kr), {"page_size": 3}).json()
    assert [c["value"] for c in first["results"]] == [37, 36, 35]
    second = marketing.get(first["next"]).json()
    assert [c["value"] for c in second["results"]] == [34, 33, 32]
    # A check-in arriving between two reads shifts nothing: the cursor names the last row seen.
    services.check_in_create(actor=None, key_result=kr, value=99, confidence="on_track")
    third = marketing.get(second["next"]).json()
    assert [c["value"] for c in third["results"]] == [31]
    assert third["next"] is None


def test_bad_input_is_refused_and_writes_nothing(product, kr):
    answer = product.post(_url(kr), {"value": "high", "confidence": "great"}, format="json")
    assert answer.status_code == 400
    assert set(fields(answer)) >= {"/value", "/confidence"}
    assert not CheckIn.objects.exists()


def test_marketing_and_integration_may_read_but_not_check_in(marketing, integration, kr):
    body = {"value": 40, "confidence": "on_track"}
    assert marketing.post(_url(kr), body, format="json").status_code == 403
    assert integration.post(_url(kr), body, format="json").status_code == 403
    assert integration.get(_url(kr)).status_code == 200
    assert not CheckIn.objects.exists()


def test_the_objective_api_shows_the_team_label_and_the_rolled_up_progress(marketing, kr):
    child = services.objective_create(
        actor=None, title="Child", period="2026-Q4", parent=kr.objective, team=""
    )
    services.key_result_create(
        actor=None, objective=child, title="Done", start=0, target=1, current=1, kind="milestone"
    )
    parent = marketing.get(f"/api/v1/objectives/{kr.objective_id}/").json()
    assert parent["team_label"] == "Growth"
    assert parent["progress"] == pytest.approx(0.5)  # its own KR at 0, its child at 1
    assert parent["rollup_weight"] == 1
    assert marketing.get(f"/api/v1/objectives/{child.pk}/").json()["team_label"] == "Team"
