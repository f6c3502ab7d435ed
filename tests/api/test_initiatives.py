import pytest

from roadmap.models import Initiative
from tests.api.problems import fields, problem
from tests.factories import AlignmentFactory, InitiativeFactory, KeyResultFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/initiatives/"


def _body(**over):
    return {
        "title": "Bulk export",
        "reach": 200,
        "impact": 2,
        "confidence": 50,
        "effort": 4,
        "status": "planned",
        "lane": "next",
        **over,
    }


@pytest.mark.django_db(transaction=True)
def test_create_returns_the_initiative_with_scores_already_computed(product):
    response = product.post(URL, _body(), format="json")

    assert response.status_code == 201, response.data
    data = response.json()
    assert data["rice_score"] == pytest.approx(200 * 2 * 0.5 / 4)
    assert data["priority_score"] == pytest.approx(50.0)
    assert data["rank"] == 1
    assert data["scored_at"] is not None
    assert data["unaligned"] is True
    assert data["breakdown"]["impact"] == {"value": 2.0, "label": "high"}
    assert data["version"] == 1
    assert response["ETag"] == '"1"'


@pytest.mark.django_db(transaction=True)
def test_update_returns_rescored_initiative(product):
    initiative = product.post(URL, _body(), format="json").json()

    response = product.patch(f"{URL}{initiative['id']}/", {"effort": 2}, format="json")

    assert response.status_code == 200
    assert response.json()["rice_score"] == pytest.approx(100.0)
    assert response.json()["version"] == 2


def test_computed_fields_are_read_only(product):
    response = product.post(
        URL, _body(rice_score=9999, priority_score=9999, rank=1, version=7), format="json"
    )

    assert response.status_code == 201
    stored = Initiative.objects.get(pk=response.json()["id"])
    assert stored.rice_score != 9999
    assert stored.priority_score != 9999
    assert stored.version == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("reach", -1, "Ensure this value is greater than or equal to 0."),
        ("impact", 1.5, "1.5 is not a valid impact; use one of 0.25, 0.5, 1, 2, 3."),
        ("impact", "high", "'high' is not a valid impact; use one of 0.25, 0.5, 1, 2, 3."),
        ("confidence", 0, "Must be more than 0."),
        ("confidence", 101, "Ensure this value is less than or equal to 100."),
        ("effort", 0, "Ensure this value is greater than or equal to 0.01."),
        ("effort", "lots", "A valid number is required."),
        ("status", "someday", '"someday" is not a valid choice.'),
        ("reach_source", "gut", '"gut" is not a valid choice.'),
        ("target_quarter", "Q4", "Enter a quarter like 2026-Q4."),
    ],
)
def test_bad_input_is_refused_with_field_errors_and_nothing_written(product, field, value, message):
    response = product.post(URL, _body(**{field: value}), format="json")

    assert response.status_code == 400
    assert fields(response) == {f"/{field}": [message]}
    assert not Initiative.objects.exists()


def test_bad_patch_changes_nothing(product):
    initiative = InitiativeFactory(effort=3)

    response = product.patch(f"{URL}{initiative.pk}/", {"effort": -2, "title": "x"}, format="json")

    assert response.status_code == 400
    initiative.refresh_from_db()
    assert initiative.effort == 3
    assert initiative.title != "x"


def test_stale_version_in_body_is_a_conflict_with_the_current_object(product):
    initiative = InitiativeFactory(title="Old", version=3)

    response = product.patch(
        f"{URL}{initiative.pk}/", {"title": "New", "version": 2}, format="json"
    )

    assert response.status_code == 409
    assert problem(response)["detail"] == "This object was changed by someone else."
    assert response.json()["current"]["title"] == "Old"
    assert response.json()["current"]["version"] == 3
    initiative.refresh_from_db()
    assert initiative.title == "Old"


def test_stale_if_match_is_a_conflict(product):
    initiative = InitiativeFactory(title="Old", version=3)

    response = product.put(
        f"{URL}{initiative.pk}/", _body(title="New"), format="json", HTTP_IF_MATCH='"2"'
    )

    assert response.status_code == 409
    initiative.refresh_from_db()
    assert initiative.title == "Old"


def test_matching_if_match_updates_and_bumps_the_version(product):
    initiative = InitiativeFactory(title="Old", version=3)

    response = product.patch(
        f"{URL}{initiative.pk}/", {"title": "New"}, format="json", HTTP_IF_MATCH='"3"'
    )

    assert response.status_code == 200
    assert response.json()["title"] == "New"
    assert response.json()["version"] == 4
    assert response["ETag"] == '"4"'


def test_unparseable_if_match_is_a_bad_request(product):
    initiative = InitiativeFactory()

    response = product.patch(
        f"{URL}{initiative.pk}/", {"title": "New"}, format="json", HTTP_IF_MATCH="yesterday"
    )

    assert response.status_code == 400
    assert fields(response) == {"If-Match": ['Send the version as If-Match: "<version>".']}


def test_list_filters_by_status_lane_team_and_alignment(product):
    aligned = InitiativeFactory(status="planned", lane="now", team="growth")
    kr = KeyResultFactory()
    AlignmentFactory(initiative=aligned, key_result=kr)
    lonely = InitiativeFactory(status="idea", lane="later", team="core")

    def ids(query):
        response = product.get(f"{URL}?{query}")
        assert response.status_code == 200
        return [row["id"] for row in response.json()["results"]]

    assert ids("status=idea") == [lonely.pk]
    assert ids("lane=now") == [aligned.pk]
    assert ids("team=growth") == [aligned.pk]
    assert ids(f"objective={kr.objective_id}") == [aligned.pk]
    assert ids(f"key_result={kr.pk}") == [aligned.pk]
    assert ids("unaligned=true") == [lonely.pk]
    assert ids("unaligned=false") == [aligned.pk]


def test_list_refuses_an_unknown_filter_choice(product):
    response = product.get(f"{URL}?status=someday")

    assert response.status_code == 400
    assert "status" in fields(response)


def test_list_orders_and_paginates(product):
    for title in ["b", "c", "a"]:
        InitiativeFactory(title=title)
    InitiativeFactory.create_batch(50)

    page = product.get(f"{URL}?ordering=title").json()

    assert len(page["results"]) == 50
    assert "cursor=" in page["next"]
    assert "ordering=title" in page["next"]
    rest = product.get(page["next"]).json()
    titles = [row["title"] for row in page["results"] + rest["results"]]
    assert len(titles) == 53
    assert titles == sorted(titles)
    assert rest["next"] is None
    assert product.get(f"{URL}?ordering=-priority_score").status_code == 200


def test_delete_removes_the_initiative(product):
    initiative = InitiativeFactory()

    response = product.delete(f"{URL}{initiative.pk}/")

    assert response.status_code == 204
    assert not Initiative.objects.filter(pk=initiative.pk).exists()


def test_missing_initiative_is_404(product):
    assert product.get(f"{URL}999999/").status_code == 404
    assert product.patch(f"{URL}999999/", {"title": "x"}, format="json").status_code == 404


def test_reach_derived_from_evidence_cannot_be_set_unless_the_source_is_switched(product):
    initiative = InitiativeFactory(reach_source="evidence", reach=7.5)
    url = f"{URL}{initiative.pk}/"

    refused = product.patch(url, {"reach": 900}, format="json")
    assert refused.status_code == 400
    assert fields(refused)["/reach"] == [
        "Reach is derived from linked evidence; set reach_source to “manual” to set it by hand."
    ]
    assert Initiative.objects.get(pk=initiative.pk).reach == 7.5
    # Sending back what was read is no change; switching the source takes the number.
    assert product.patch(url, {"reach": 7.5, "impact": 2}, format="json").status_code == 200
    switched = product.patch(url, {"reach": 900, "reach_source": "manual"}, format="json")
    assert switched.status_code == 200
    assert Initiative.objects.get(pk=initiative.pk).reach == 900


def test_external_id_is_set_read_and_unique(product):
    created = product.post(URL, _body(external_id="JIRA-12"), format="json")
    assert created.status_code == 201, created.data
    assert created.json()["external_id"] == "JIRA-12"
    assert product.get(f"{URL}{created.json()['id']}/").json()["external_id"] == "JIRA-12"
    again = product.post(URL, _body(title="Other", external_id="JIRA-12"), format="json")
    assert again.status_code == 400
    assert Initiative.objects.filter(external_id="JIRA-12").count() == 1
    # No id twice is fine: an empty one is none.
    for title in ("A", "B"):
        assert (
            product.post(URL, _body(title=title, external_id=""), format="json").status_code == 201
        )
