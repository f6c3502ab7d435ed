"""Derived NPS/CSAT metrics: readings computed from scored evidence by the pipeline."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from okrs.derived import CSAT, NPS, derived_value, tally
from okrs.models import KeyResult, MetricReading
from roadmap import services, tasks
from roadmap.models import Evidence, Initiative
from roadmap.services import derived_metrics
from roadmap.services.derived_metrics import (
    answer_counts,
    derived_metric_backfill,
    derived_metrics_compute,
)
from tests.factories import (
    AlignmentFactory,
    CustomerFactory,
    EvidenceFactory,
    InitiativeFactory,
    KeyResultFactory,
    MetricFactory,
    SegmentFactory,
)

pytestmark = pytest.mark.django_db
URL = "/api/v1/evidence/"


@pytest.fixture
def integration(integration_user):
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=integration_user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture(autouse=True)
def _no_pending_derived_nudge():
    cache.delete(derived_metrics.NUDGE_KEY)
    yield
    cache.delete(derived_metrics.NUDGE_KEY)


def _nps_metric(**over):
    return MetricFactory(
        key=over.pop("key", "nps_all"),
        derived_kind=over.pop("derived_kind", NPS),
        derived_window_days=over.pop("derived_window_days", 30),
        **over,
    )


def _answers(scores, *, source="nps", customer=None, days_ago=1, prefix="a"):
    now = timezone.now()
    for n, score in enumerate(scores):
        EvidenceFactory(
            source=source,
            score=score,
            customer=customer,
            received_at=now - timedelta(days=days_ago),
            external_id=f"{prefix}-{n}",
        )


@pytest.mark.parametrize(
    ("kind", "source", "scores"),
    [
        (NPS, "nps", [10, 9, 8, 7, 6, 0, 10]),
        (NPS, "nps", [3, 3, 3]),
        (CSAT, "survey", [5, 4, 3, 2, 1, 4]),
        (CSAT, "survey", [1]),
    ],
)
def test_database_counts_agree_with_the_formula(kind, source, scores):
    metric = _nps_metric(derived_kind=kind)
    _answers(scores, source=source)
    EvidenceFactory(source="support", text="no score")  # not an answer
    counts = answer_counts(metric, end=timezone.now())
    assert counts == tally(kind, scores)
    assert derived_value(kind, counts) == derived_value(kind, tally(kind, scores))


def test_only_answers_inside_the_window_count():
    metric = _nps_metric(derived_window_days=7)
    _answers([10, 10], days_ago=3, prefix="in")
    _answers([0, 0, 0], days_ago=8, prefix="out")
    assert derived_metrics_compute().written == 1
    assert MetricReading.objects.get(metric=metric).value == 100.0


def test_a_segment_metric_reads_only_that_segments_customers():
    enterprise = CustomerFactory(segment=SegmentFactory(name="Enterprise"))
    smb = CustomerFactory(segment=SegmentFactory(name="SMB"))
    ent = _nps_metric(key="nps_ent", derived_segment="Enterprise")
    everyone = _nps_metric(key="nps_all")
    _answers([10, 10, 6], customer=enterprise, prefix="e")
    _answers([0, 0], customer=smb, prefix="s")
    derived_metrics_compute()
    assert MetricReading.objects.get(metric=ent).value == 33.3
    assert MetricReading.objects.get(metric=everyone).value == -20.0  # 2 of 5 minus 3 of 5


def test_a_window_without_answers_writes_nothing():
    metric = _nps_metric()
    _answers([10], days_ago=60)
    assert derived_metrics_compute().written == 0
    assert not MetricReading.objects.filter(metric=metric).exists()


def test_recomputing_the_same_day_updates_its_one_reading():
    metric = _nps_metric()
    _answers([10])
    derived_metrics_compute()
    _answers([0], prefix="b")
    derived_metrics_compute()
    (reading,) = MetricReading.objects.filter(metric=metric)
    assert reading.value == 0.0
    assert reading.external_id.startswith("derived:")


def test_backfill_writes_one_reading_per_past_day_with_answers():
    metric = _nps_metric(derived_window_days=2)
    _answers([10], days_ago=5, prefix="old")
    assert derived_metric_backfill(metric=metric, days=10) == 2  # the 2 days the window held it
    assert MetricReading.objects.filter(metric=metric).count() == 2


def test_score_is_refused_off_its_scale_or_source(integration):
    bad = [
        {"source": "nps", "text": "x", "score": 11},
        {"source": "survey", "text": "x", "score": 0},
        {"source": "support", "text": "x", "score": 5},
        {"source": "nps", "text": "x", "score": 7.5},
    ]
    for item in bad:
        response = integration.post(URL, item, format="json")
        assert response.status_code == 400, item
        assert "score" in str(response.json()), item
    assert not Evidence.objects.exists()


def test_a_batch_of_a_thousand_answers_makes_one_run_and_one_reading(
    integration, django_capture_on_commit_callbacks, monkeypatch
):
    metric = _nps_metric()
    runs = []
    real = tasks.derived_metrics_compute
    monkeypatch.setattr(tasks, "derived_metrics_compute", lambda: runs.append(1) or real())
    items = [
        {"source": "nps", "text": f"answer {n}", "score": n % 11, "external_id": f"s-{n}"}
        for n in range(1000)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        assert integration.post(URL, items, format="json").status_code == 201
    assert runs == [1]
    (reading,) = MetricReading.objects.filter(metric=metric)
    assert reading.value == derived_value(NPS, tally(NPS, [n % 11 for n in range(1000)]))
    assert Evidence.objects.get(external_id="s-7").score == 7


def test_re_sent_answers_count_once(integration, django_capture_on_commit_callbacks):
    metric = _nps_metric()
    items = [
        {"source": "nps", "text": "love it", "score": 10, "external_id": "q-1"},
        {"source": "nps", "text": "meh", "score": 5, "external_id": "q-2"},
        {"source": "nps", "text": "fine", "score": 9, "external_id": "q-3"},
    ]
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            integration.post(URL, items, format="json")
    assert Evidence.objects.count() == 3
    (reading,) = MetricReading.objects.filter(metric=metric)
    assert reading.value == 33.3  # 2 promoters, 1 detractor of 3, however often sent


def test_a_corrected_score_and_a_deleted_answer_move_the_metric(
    integration, product_user, django_capture_on_commit_callbacks
):
    metric = _nps_metric()
    with django_capture_on_commit_callbacks(execute=True):
        integration.post(
            URL,
            [
                {"source": "nps", "text": "a", "score": 10, "external_id": "c-1"},
                {"source": "nps", "text": "b", "score": 0, "external_id": "c-2"},
            ],
            format="json",
        )
    assert MetricReading.objects.get(metric=metric).value == 0.0
    with django_capture_on_commit_callbacks(execute=True):
        integration.post(
            URL, {"source": "nps", "text": "b", "score": 9, "external_id": "c-2"}, format="json"
        )
    assert MetricReading.objects.get(metric=metric).value == 100.0
    with django_capture_on_commit_callbacks(execute=True):
        services.evidence_delete(
            actor=product_user, evidence=Evidence.objects.get(external_id="c-1")
        )
    assert MetricReading.objects.get(metric=metric).value == 100.0  # c-2 alone: a promoter


def test_survey_answers_alone_move_an_enterprise_nps_key_result_and_its_initiative(
    integration, django_capture_on_commit_callbacks
):
    enterprise = SegmentFactory(name="Enterprise")
    customer = CustomerFactory(segment=enterprise, external_id="acme")
    metric = _nps_metric(key="nps_enterprise", derived_segment="Enterprise", derived_window_days=90)
    kr = KeyResultFactory(title="Enterprise NPS 30 → 45", metric=metric, start=30, target=45)
    kr.current = 30
    kr.save()
    aligned = InitiativeFactory(title="SSO for enterprise")
    AlignmentFactory(initiative=aligned, key_result=kr)
    services.initiatives_rescore_marked()
    aligned.refresh_from_db()
    before = aligned.priority_score
    answers = [
        {
            "source": "nps",
            "text": f"answer {n}",
            "score": score,
            "customer": customer.pk,
            "external_id": f"ent-{n}",
        }
        for n, score in enumerate([10, 10, 10, 9, 9, 8, 7, 6, 10, 9])  # 7 of 10 promote, 1 detracts
    ]
    with django_capture_on_commit_callbacks(execute=True):
        assert integration.post(URL, answers, format="json").status_code == 201
    kr.refresh_from_db()
    aligned.refresh_from_db()
    assert kr.current == 60.0
    assert kr.progress == 1.0
    assert aligned.priority_score != before
    assert aligned.needs_rescore is False
    assert Initiative.objects.get(pk=aligned.pk).priority_score == aligned.priority_score
    assert KeyResult.objects.get(pk=kr.pk).version > 1
