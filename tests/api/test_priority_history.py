"""GET /api/v1/priorities/{id}/history/: snapshots newest first, cursor-paginated, with causes."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from roadmap import services, webhooks
from roadmap.models import ScoreSnapshot, WebhookDelivery
from tests.api.problems import fields
from tests.api.webhook_support import subscription_for
from tests.factories import InitiativeFactory, UserFactory

pytestmark = pytest.mark.django_db


def _url(pk):
    return f"/api/v1/priorities/{pk}/history/"


def _edits(initiative, efforts, actor=None):
    for effort in efforts:
        services.initiative_update(actor=actor, initiative=initiative, data={"effort": effort})
        services.initiatives_rescore_marked()


def test_history_lists_snapshots_newest_first_with_scores_ranks_and_causes(product):
    priya = UserFactory(username="priya")
    initiative = InitiativeFactory(reach=100, impact=1, confidence=100, effort=4)
    services.initiatives_rescore_marked()
    _edits(initiative, [2], actor=priya)

    response = product.get(_url(initiative.pk))

    assert response.status_code == 200
    newest, first = response.json()["results"]
    assert newest["priority_score"] == pytest.approx(50.0)
    assert newest["previous_priority_score"] == pytest.approx(25.0)
    assert (newest["rank"], newest["previous_rank"]) == (1, 1)
    assert newest["causes"] == [
        {"kind": "edit", "field": "effort", "from": 4.0, "to": 2.0, "by": "priya", "share": 25.0}
    ]
    assert newest["at"] >= first["at"]
    assert newest["effort"] == 2.0
    assert first["effort"] == 4.0
    assert first["previous_priority_score"] is None


def test_history_pages_by_cursor_without_skipping_rows_added_meanwhile(product):
    initiative = InitiativeFactory(reach=100, effort=1)
    services.initiatives_rescore_marked()
    _edits(initiative, [2, 3, 4, 5])  # 5 snapshots
    page = product.get(_url(initiative.pk), {"page_size": 2}).json()
    seen = [row["id"] for row in page["results"]]
    _edits(initiative, [6])  # a new snapshot between two reads: on no later page
    while page["next"]:
        page = product.get(page["next"]).json()
        seen += [row["id"] for row in page["results"]]
    stored = list(initiative.snapshots.values_list("id", flat=True))  # newest first
    assert seen == stored[1:]
    assert "previous" in page
    assert "count" not in page


def test_history_of_a_missing_initiative_is_404_and_a_bad_page_size_400(product):
    assert product.get(_url(999_999)).status_code == 404
    initiative = InitiativeFactory()
    response = product.get(_url(initiative.pk), {"page_size": "x"})
    assert response.status_code == 400
    assert "page_size" in fields(response)


@pytest.mark.parametrize(
    ("client_name", "status"),
    [("marketing", 200), ("integration", 200), ("no_role", 403), ("anon", 401)],
)
def test_history_is_readable_by_the_roles_that_read_priorities(request, client_name, status):
    initiative = InitiativeFactory()
    services.initiatives_rescore_marked()
    client = request.getfixturevalue(client_name)
    assert client.get(_url(initiative.pk)).status_code == status
    assert client.get("/api/v1/priorities/").status_code == status


def test_history_query_count_does_not_grow_with_snapshots(product, django_assert_max_num_queries):
    initiative = InitiativeFactory()
    ScoreSnapshot.objects.bulk_create(
        ScoreSnapshot(
            initiative=initiative,
            reach=1,
            impact=1,
            confidence=1,
            effort=1,
            rice_score=n,
            alignment_score=0,
            priority_score=n,
            rank=1,
            trigger="edit",
            causes=[{"kind": "edit", "field": "reach", "from": n, "to": n + 1, "by": "x"}],
        )
        for n in range(500)
    )
    with CaptureQueriesContext(connection) as few:
        product.get(_url(initiative.pk), {"page_size": 5})
    with django_assert_max_num_queries(len(few)):
        response = product.get(_url(initiative.pk), {"page_size": 200})
    assert len(response.json()["results"]) == 200


def test_the_schema_documents_history_and_a_typed_cause(client):
    schema = client.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/priorities/{id}/history/"]["get"]
    assert "cursor" in {p["name"] for p in operation["parameters"]}
    cause = schema["components"]["schemas"]["Cause"]
    ref = cause["properties"]["kind"]["allOf"][0]["$ref"].rsplit("/", 1)[1]
    assert ref == "CauseKindEnum"
    kinds = set(schema["components"]["schemas"][ref]["enum"])
    assert {"key_result", "evidence", "edit", "objective", "policy", "decay", "rank_shift"} <= kinds
    (path_id,) = [p for p in operation["parameters"] if p["in"] == "path"]
    assert path_id["schema"]["type"] == "integer"
    assert {"from", "to", "from_progress", "passed_by", "share"} <= set(cause["properties"])


def test_the_priority_changed_webhook_carries_the_causes(django_capture_on_commit_callbacks):
    subscription_for("https://93.184.215.14/a")
    initiative = InitiativeFactory(reach=100, impact=1, confidence=100, effort=4)
    services.initiatives_rescore_marked()
    services.initiative_update(actor=None, initiative=initiative, data={"effort": 2})
    result = services.initiatives_rescore_marked()
    with django_capture_on_commit_callbacks(execute=False):
        webhooks.priority_changed_enqueue(snapshot_ids=result.snapshot_ids)
    (change,) = WebhookDelivery.objects.get().payload["data"]["initiatives"]
    assert change["causes"] == [
        {"kind": "edit", "field": "effort", "from": 4.0, "to": 2.0, "by": None, "share": 25.0}
    ]
