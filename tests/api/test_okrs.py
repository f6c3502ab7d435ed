import pytest

from okrs.models import KeyResult, Metric, MetricReading, Objective
from okrs.periods import current_quarter
from tests.api.problems import fields, problem
from tests.factories import KeyResultFactory, MetricFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db


def test_objective_crud(product):
    created = product.post(
        "/api/v1/objectives/",
        {"title": "Grow enterprise", "period": "2026-Q4", "weight": 2},
        format="json",
    )
    assert created.status_code == 201
    url = f"/api/v1/objectives/{created.json()['id']}/"
    assert created.json()["progress"] == 0
    assert created.json()["version"] == 1

    updated = product.patch(url, {"weight": 3, "version": 1}, format="json")
    assert updated.status_code == 200
    assert updated.json()["weight"] == 3
    assert updated.json()["version"] == 2

    assert product.get(url).json()["title"] == "Grow enterprise"
    assert product.delete(url).status_code == 204
    assert not Objective.objects.exists()


def test_an_objective_posted_without_a_period_is_set_for_the_current_quarter(product):
    created = product.post("/api/v1/objectives/", {"title": "Grow"}, format="json")
    assert created.status_code == 201
    assert created.json()["period"] == current_quarter()
    updated = product.put(
        f"/api/v1/objectives/{created.json()['id']}/", {"title": "Grow more"}, format="json"
    )
    assert updated.json()["period"] == current_quarter()  # kept, not cleared


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"title": "x", "period": "Q4"}, {"period": ["Enter a quarter like 2026-Q4."]}),
        ({"title": "x", "period": "2026-Q4", "weight": 0}, {"weight": ["Must be more than 0."]}),
        (
            {"title": "x", "period": "2026-Q4", "status": "won"},
            {"status": ['"won" is not a valid choice.']},
        ),
        ({"period": "2026-Q4"}, {"title": ["This field is required."]}),
    ],
)
def test_objective_validation(product, body, errors):
    response = product.post("/api/v1/objectives/", body, format="json")

    assert response.status_code == 400
    assert fields(response) == {f"/{name}": messages for name, messages in errors.items()}
    assert not Objective.objects.exists()


def test_objective_cannot_be_its_own_parent(product):
    objective = ObjectiveFactory()

    response = product.patch(
        f"/api/v1/objectives/{objective.pk}/", {"parent": objective.pk}, format="json"
    )

    assert response.status_code == 400
    assert fields(response) == {"/parent": ["An objective cannot be its own parent."]}


def test_stale_objective_version_is_409(product):
    objective = ObjectiveFactory(title="Keep", version=2)

    response = product.patch(
        f"/api/v1/objectives/{objective.pk}/", {"title": "Lose"}, format="json", HTTP_IF_MATCH='"1"'
    )

    assert response.status_code == 409
    assert response.json()["current"]["title"] == "Keep"
    objective.refresh_from_db()
    assert objective.title == "Keep"


def test_objectives_filter_by_period_and_status(product):
    q4 = ObjectiveFactory(period="2026-Q4")
    ObjectiveFactory(period="2027-Q1", status="draft")

    rows = product.get("/api/v1/objectives/?period=2026-Q4").json()["results"]
    drafts = product.get("/api/v1/objectives/?status=draft").json()["results"]

    assert [r["id"] for r in rows] == [q4.pk]
    assert [r["period"] for r in drafts] == ["2027-Q1"]


def test_key_result_progress_is_a_read_only_fraction(product):
    objective = ObjectiveFactory()

    response = product.post(
        "/api/v1/key-results/",
        {
            "objective": objective.pk,
            "title": "NPS to 50",
            "start": 20,
            "target": 50,
            "current": 35,
            "progress": 0.99,
        },
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["progress"] == pytest.approx(0.5)
    objective.refresh_from_db()
    assert objective.progress == pytest.approx(0.5)


def test_key_result_update_recomputes_progress_and_checks_version(product):
    kr = KeyResultFactory(start=0, target=10, current=0)

    ok = product.patch(
        f"/api/v1/key-results/{kr.pk}/", {"current": 20, "version": 1}, format="json"
    )
    stale = product.patch(
        f"/api/v1/key-results/{kr.pk}/", {"current": 5, "version": 1}, format="json"
    )

    assert ok.json()["progress"] == 1.0
    assert ok.json()["version"] == 2
    assert stale.status_code == 409
    kr.refresh_from_db()
    assert kr.current == 20


def test_key_result_validation_and_delete(product):
    objective = ObjectiveFactory()
    bad = product.post(
        "/api/v1/key-results/",
        {
            "objective": objective.pk,
            "title": "x",
            "target": "ten",
            "kind": "grow",
            "metric": "nope",
        },
        format="json",
    )
    kr = KeyResultFactory()

    assert bad.status_code == 400
    assert set(fields(bad)) == {"/target", "/kind", "/metric"}
    assert product.delete(f"/api/v1/key-results/{kr.pk}/").status_code == 204
    assert not KeyResult.objects.exists()


def test_key_results_filter_by_objective_and_metric(product):
    nps = MetricFactory(key="nps")
    tracked = KeyResultFactory(metric=nps)
    other = KeyResultFactory()

    by_metric = product.get("/api/v1/key-results/?metric=nps").json()["results"]
    by_objective = product.get(f"/api/v1/key-results/?objective={other.objective_id}").json()

    assert [r["id"] for r in by_metric] == [tracked.pk]
    assert by_metric[0]["metric"] == "nps"
    assert [r["id"] for r in by_objective["results"]] == [other.pk]


def test_metrics_are_looked_up_by_key(product):
    created = product.post(
        "/api/v1/metrics/", {"key": "churn_rate", "name": "Churn", "unit": "%"}, format="json"
    )
    renamed = product.patch("/api/v1/metrics/churn_rate/", {"name": "Logo churn"}, format="json")
    rekey = product.patch("/api/v1/metrics/churn_rate/", {"key": "other"}, format="json")

    assert created.status_code == 201
    assert product.get("/api/v1/metrics/churn_rate/").json()["name"] == "Logo churn"
    assert renamed.status_code == 200
    assert rekey.json()["key"] == "churn_rate"
    assert (
        product.post(
            "/api/v1/metrics/", {"key": "churn_rate", "name": "x"}, format="json"
        ).status_code
        == 400
    )
    assert product.get("/api/v1/metrics/unknown/").status_code == 404
    assert product.delete("/api/v1/metrics/churn_rate/").status_code == 204
    assert not Metric.objects.exists()


def test_a_reading_sets_current_on_tracking_key_results(integration):
    nps = MetricFactory(key="nps")
    kr = KeyResultFactory(metric=nps, start=0, target=50, current=0)

    response = integration.post(
        "/api/v1/metrics/nps/readings/",
        {"value": 25, "observed_at": "2026-11-01T00:00:00Z", "source": "delighted"},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["metric"] == "nps"
    kr.refresh_from_db()
    assert kr.current == 25
    assert kr.progress == 0.5


def test_readings_list_is_all_or_nothing_and_idempotent_by_external_id(integration):
    MetricFactory(key="dau")
    url = "/api/v1/metrics/dau/readings/"

    bad = integration.post(
        url,
        [{"value": 1, "external_id": "a"}, {"value": "lots"}, {"observed_at": "x"}],
        format="json",
    )
    assert bad.status_code == 400
    assert problem(bad)["detail"] == "2 of 3 items are invalid; nothing was written."
    assert fields(bad) == {
        "/1/value": ["A valid number is required."],
        "/2/value": ["This field is required."],
        "/2/observed_at": [
            "Datetime has wrong format. Use one of these formats instead: "
            "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
        ],
    }
    assert not MetricReading.objects.exists()

    first = integration.post(url, [{"value": 1, "external_id": "a"}, {"value": 2}], format="json")
    again = integration.post(url, {"value": 3, "external_id": "a"}, format="json")

    assert first.status_code == 201
    assert first.json()["created"] == 2
    assert again.status_code == 200
    assert MetricReading.objects.count() == 2
    assert MetricReading.objects.get(external_id="a").value == 3
    listed = integration.get(url).json()
    assert len(listed["results"]) == 2
    assert listed["next"] is None


def test_readings_over_1000_are_refused(integration):
    MetricFactory(key="dau")

    response = integration.post(
        "/api/v1/metrics/dau/readings/", [{"value": n} for n in range(1001)], format="json"
    )

    assert response.status_code == 400
    assert "at most 1000 items" in problem(response)["detail"]
    assert not MetricReading.objects.exists()


def test_readings_for_an_unknown_metric_are_404(integration):
    response = integration.post("/api/v1/metrics/nope/readings/", {"value": 1}, format="json")

    assert response.status_code == 404
