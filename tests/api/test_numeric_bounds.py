"""Every number and event date typed in has documented bounds (bounds/): API, forms, database.

Regression for "unbounded numbers reach Infinity": reach 1e308 with effort
1e-300, or a weight of 1e308, made the score Infinity and took pages down.
"""

import math
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

import bounds
from okrs.forms import CheckInForm
from roadmap import scoring
from roadmap.forms import RiceForm
from roadmap.models import Evidence, Initiative, Segment
from tests.factories import (
    InitiativeFactory,
    KeyResultFactory,
    MetricFactory,
    ObjectiveFactory,
    SegmentFactory,
)

pytestmark = pytest.mark.django_db

TOO_BIG = "Ensure this value is less than or equal to {}."
TOO_SMALL = "Ensure this value is greater than or equal to {}."


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("reach", 1e308, TOO_BIG.format(1e9)),
        ("reach", -1, TOO_SMALL.format(0)),
        ("effort", 1e-300, TOO_SMALL.format(0.01)),
        ("effort", 1e308, TOO_BIG.format(10000.0)),
    ],
)
def test_initiative_rice_inputs_out_of_bounds_are_400_and_change_nothing(
    product, field, value, message
):
    initiative = InitiativeFactory(reach=10, effort=1)
    response = product.patch(f"/api/v1/initiatives/{initiative.pk}/", {field: value}, format="json")
    assert response.status_code == 400
    assert message in str(response.json())
    initiative.refresh_from_db()
    assert (initiative.reach, initiative.effort) == (10, 1)


def test_a_400_digit_impact_is_a_400(product):
    initiative = InitiativeFactory()
    response = product.patch(
        f"/api/v1/initiatives/{initiative.pk}/",
        data='{"impact": ' + "9" * 400 + "}",
        content_type="application/json",
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("url", "factory", "body", "message"),
    [
        ("/api/v1/objectives/{}/", ObjectiveFactory, {"weight": 1e308}, TOO_BIG.format(100.0)),
        ("/api/v1/key-results/{}/", KeyResultFactory, {"weight": 101}, TOO_BIG.format(100.0)),
        ("/api/v1/key-results/{}/", KeyResultFactory, {"target": 1e300}, TOO_BIG.format(1e15)),
        ("/api/v1/key-results/{}/", KeyResultFactory, {"current": -1e300}, TOO_SMALL.format(-1e15)),
        ("/api/v1/segments/{}/", SegmentFactory, {"weight": 1e308}, TOO_BIG.format(100.0)),
    ],
)
def test_weights_and_values_out_of_bounds_are_400(product, url, factory, body, message):
    obj = factory()
    response = product.patch(url.format(obj.pk), body, format="json")
    assert response.status_code == 400
    assert message in str(response.json())


def test_customer_revenue_out_of_bounds_is_400(product):
    response = product.post(
        "/api/v1/customers/",
        {"name": "Mega", "external_id": "mega", "annual_revenue": "1e20"},
        format="json",
    )
    assert response.status_code == 400
    assert not product.get("/api/v1/customers/?search=Mega").json()["results"]


@pytest.mark.parametrize(
    ("received_at", "message"),
    [
        ("1700-01-01T00:00:00Z", "Enter a date on or after 1970-01-01."),
        ("1969-12-31T23:59:59Z", "Enter a date on or after 1970-01-01."),
        (None, "Enter a date no more than one day ahead of now."),
    ],
)
@pytest.mark.parametrize("many", [False, True])
def test_evidence_dated_out_of_range_is_400(integration, received_at, message, many):
    initiative = InitiativeFactory()
    received_at = received_at or (timezone.now() + timedelta(days=2)).isoformat()
    item = {"source": "nps", "text": "old", "initiative": initiative.pk, "received_at": received_at}
    response = integration.post("/api/v1/evidence/", [item] if many else item, format="json")
    assert response.status_code == 400
    assert message in str(response.json())
    assert not Evidence.objects.exists()


def test_evidence_dated_on_the_bounds_is_accepted(integration):
    items = [
        {"source": "nps", "text": "epoch", "received_at": "1970-01-01T00:00:00Z"},
        {
            "source": "nps",
            "text": "ahead",
            "received_at": (timezone.now() + timedelta(hours=23)).isoformat(),
        },
    ]
    assert integration.post("/api/v1/evidence/", items, format="json").status_code == 201
    assert Evidence.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"value": 1e300}, TOO_BIG.format(1e15)),
        ({"value": 1, "observed_at": "1700-01-01T00:00:00Z"}, "on or after 1970-01-01"),
    ],
)
def test_readings_out_of_bounds_are_400(integration, body, message):
    metric = MetricFactory(key="nps")
    response = integration.post(f"/api/v1/metrics/{metric.key}/readings/", body, format="json")
    assert response.status_code == 400
    assert message in str(response.json())
    assert not metric.readings.exists()


def test_browser_forms_refuse_the_same_bounds():
    initiative = InitiativeFactory()
    form = RiceForm(
        {"reach": "1e308", "impact": "1", "confidence": "80", "effort": "1e-300", "version": 1},
        instance=initiative,
    )
    assert not form.is_valid()
    assert form.errors["reach"] == [TOO_BIG.format("1000000000.0")]
    assert form.errors["effort"] == [TOO_SMALL.format("0.01")]
    check_in = CheckInForm({"value": "1e300", "confidence": "on_track"})
    assert not check_in.is_valid()
    assert "value" in check_in.errors


def test_the_database_refuses_what_slips_past_validation():
    initiative = InitiativeFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Initiative.objects.filter(pk=initiative.pk).update(reach=1e308)
    with pytest.raises(IntegrityError), transaction.atomic():
        Segment.objects.create(name="Whales", weight=1e308)


finite = st.floats(allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(
    reach=st.floats(0, bounds.REACH_MAX),
    impact=st.sampled_from(sorted(scoring.IMPACT_SCALE)),
    confidence=st.floats(1e-9, bounds.CONFIDENCE_MAX),
    effort=st.floats(bounds.EFFORT_MIN, bounds.EFFORT_MAX),
    weights=st.lists(st.floats(1e-9, bounds.WEIGHT_MAX), max_size=50),
    progress=st.floats(0, 1),
)
def test_any_inputs_within_the_bounds_give_a_finite_score(
    reach, impact, confidence, effort, weights, progress
):
    links = tuple(
        scoring.AlignmentLink(
            key_result_id=n,
            key_result="kr",
            objective_id=n,
            objective="o",
            objective_weight=weight,
            contribution="strong",
            progress=progress,
        )
        for n, weight in enumerate(weights)
    )
    result = scoring.score(
        scoring.ScoreInputs("manual", reach, impact, confidence, effort, links=links)
    )
    assert math.isfinite(result.priority_score)


def test_a_score_that_is_not_finite_is_refused_not_stored():
    with pytest.raises(scoring.ScoringError, match="not a finite number"):
        scoring.score(scoring.ScoreInputs("manual", 1e308, 3.0, 100.0, 1e-300))
