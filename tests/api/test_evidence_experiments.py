"""Experiment results in the evidence ingest (`experiment` on POST /api/v1/evidence/, one item
or a batch): the same checks as PUT /evidence/{id}/experiment/, idempotent by external_id,
and the policy's confidence rule sees them. Runs on SQLite and on PostgreSQL (COPY path)."""

import pytest

from audit.models import AuditEntry
from roadmap.models import Evidence, ScoreSnapshot, ScoringSettings
from roadmap.services import initiatives_rescore_marked
from roadmap.services.causes import actor_name
from tests.api.problems import fields
from tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/evidence/"
RESULT = {
    "metric": "activation",
    "variant": "B",
    "lift": 4.2,
    "ci_low": 1.5,
    "ci_high": 6.9,
    "p_value": 0.01,
    "sample_size": 12000,
}


def _item(n, **fields):
    return {"source": "experiment", "text": f"Test {n}", "external_id": f"exp-{n}", **fields}


def _stored(ext):
    return Evidence.objects.values_list(*Evidence.EXPERIMENT_FIELDS).get(external_id=ext)


def test_a_batch_carries_results_and_a_resend_changes_nothing(integration):
    batch = [_item(1, experiment=RESULT), _item(2), _item(3, experiment={"lift": -2.0})]

    first = integration.post(URL, batch, format="json")

    assert first.status_code == 201, first.json()
    assert first.json()["created"] == 3
    assert _stored("exp-1") == ("activation", "B", 4.2, 1.5, 6.9, 0.01, 12000)
    assert _stored("exp-2") == ("", "", None, None, None, None, None)
    assert _stored("exp-3") == ("", "", -2.0, None, None, None, None)
    assert Evidence.objects.get(external_id="exp-1").experiment_significant

    again = integration.post(URL, batch, format="json")

    assert again.json() == {**first.json(), "created": 0, "updated": 3}
    assert Evidence.objects.count() == 3
    assert _stored("exp-1") == ("activation", "B", 4.2, 1.5, 6.9, 0.01, 12000)
    # A re-send that leaves `experiment` out keeps the result; null clears it.
    integration.post(URL, [_item(1), _item(3, experiment=None)], format="json")
    assert _stored("exp-1")[2] == 4.2
    assert _stored("exp-3") == ("", "", None, None, None, None, None)
    changes = AuditEntry.objects.filter(action="update").order_by("-id").first().changes
    assert changes["experiment_lift"] == [-2.0, None]


def test_one_item_with_a_result_and_a_correction(product):
    response = product.post(URL, _item(1, experiment={"lift": 3.0, "p_value": 0.2}), format="json")
    assert response.status_code == 201, response.json()
    item = Evidence.objects.get(pk=response.json()["id"])
    assert (item.experiment_lift, item.experiment_p_value) == (3.0, 0.2)
    assert not item.experiment_significant

    fixed = product.post(URL, _item(1, experiment={"p_value": 0.01}), format="json")

    assert fixed.status_code == 200
    item.refresh_from_db()
    assert (item.experiment_lift, item.experiment_p_value) == (3.0, 0.01)
    assert item.experiment_significant


@pytest.mark.parametrize(
    ("experiment", "message"),
    [
        ({"p_value": 1.5}, "less than or equal to 1"),
        ({"lift": 1e7}, "less than or equal to"),
        ({"sample_size": 0}, "greater than or equal to 1"),
        ({"lift": "4"}, "valid number"),
        ({"ci_low": 2.0}, "both bounds"),
        ({"ci_low": 5.0, "ci_high": 1.0}, "above the upper bound"),
    ],
)
def test_bad_results_refuse_the_whole_batch(integration, experiment, message):
    batch = [_item(1, experiment=RESULT), _item(2, experiment=experiment)]
    response = integration.post(URL, batch, format="json")
    assert response.status_code == 400
    assert message in str(response.json())
    assert {pointer.split("/")[1] for pointer in fields(response)} == {"1"}
    assert not Evidence.objects.exists()


def test_only_an_experiment_carries_a_result(integration):
    batch = [_item(1, experiment=RESULT), {**_item(2), "source": "interview", "experiment": RESULT}]
    response = integration.post(URL, batch, format="json")
    assert response.status_code == 400
    assert "/1/experiment" in str(fields(response))
    assert not Evidence.objects.exists()


def test_changing_the_source_of_an_item_with_a_result_is_refused(integration):
    assert integration.post(URL, _item(1, experiment=RESULT), format="json").status_code == 201
    response = integration.post(URL, {**_item(1), "source": "interview"}, format="json")
    assert response.status_code == 400
    assert Evidence.objects.get(external_id="exp-1").source == "experiment"


def test_an_ingested_significant_result_raises_confidence(integration, integration_user):
    ScoringSettings.objects.create(pk=1, experiment_confidence=80)
    initiative = InitiativeFactory(reach=100, confidence=50, impact=1, effort=1)
    initiatives_rescore_marked()
    initiative.refresh_from_db()
    assert initiative.rice_score == pytest.approx(50)

    item = _item(1, experiment=RESULT, initiative=initiative.pk)
    assert integration.post(URL, [item], format="json").status_code == 201
    initiatives_rescore_marked()
    initiative.refresh_from_db()
    assert initiative.rice_score == pytest.approx(80)

    # Corrected to insignificant by a re-send: the initiative is marked and falls back.
    corrected = {**item, "experiment": {"p_value": 0.5, "ci_low": None, "ci_high": None}}
    assert integration.post(URL, [corrected], format="json").status_code == 201
    initiatives_rescore_marked()
    initiative.refresh_from_db()
    assert initiative.rice_score == pytest.approx(50)
    snapshot = ScoreSnapshot.objects.filter(initiative=initiative).order_by("-id").first()
    cause = next(c for c in snapshot.causes if c.get("field") == "experiment")
    assert (cause["from"], cause["to"], cause["by"]) == (
        "significant",
        "not significant",
        actor_name(integration_user),
    )


def test_items_without_results_keep_the_fast_validation(integration, monkeypatch):
    from api import batch as base

    calls = []
    real = base.plain_validated
    monkeypatch.setattr(
        base, "plain_validated", lambda *a, **k: calls.append(r := real(*a, **k)) or r
    )
    assert integration.post(URL, [_item(1), _item(2)], format="json").status_code == 201
    assert calls[-1] is not None  # answered by the fast path
    assert integration.post(URL, [_item(3, experiment=RESULT)], format="json").status_code == 201
    assert calls[-1] is None  # DRF validated the nested result


def test_get_and_lists_echo_the_result(integration, product):
    batch = [_item(1, experiment=RESULT), _item(2), _item(3, experiment={"lift": -2.0})]
    ids = [r["id"] for r in integration.post(URL, batch, format="json").json()["results"]]

    one = product.get(f"{URL}{ids[0]}/")

    assert one.status_code == 200
    assert one.json()["experiment"] == {**RESULT, "significant": True}
    assert product.get(f"{URL}{ids[1]}/").json()["experiment"] is None
    listed = {item["id"]: item["experiment"] for item in product.get(URL).json()["results"]}
    assert listed[ids[0]] == {**RESULT, "significant": True}
    assert listed[ids[1]] is None
    assert listed[ids[2]] == {
        "metric": "",
        "variant": "",
        "lift": -2.0,
        "ci_low": None,
        "ci_high": None,
        "p_value": None,
        "sample_size": None,
        "significant": False,
    }
    # The same object as the result's own endpoint, less its ids.
    own = product.get(f"{URL}{ids[0]}/experiment/").json()
    assert {k: v for k, v in own.items() if k not in ("evidence", "initiative")} == (
        one.json()["experiment"]
    )
