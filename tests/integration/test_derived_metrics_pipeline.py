"""Derived NPS from survey answers through PostgreSQL (COPY ingest), Redis and a real worker."""

import pytest
from django.db import connection

from okrs.derived import NPS, derived_value, tally
from okrs.models import KeyResult, MetricReading
from roadmap import services
from roadmap.models import Evidence, Initiative
from tests.factories import (
    AlignmentFactory,
    CustomerFactory,
    KeyResultFactory,
    MetricFactory,
    SegmentFactory,
)
from tests.integration.conftest import wait_for


def _answers(customer, scores, prefix):
    return [
        {
            "source": "nps",
            "text": f"answer {prefix}{n}",
            "score": score,
            "customer": customer.pk,
            "external_id": f"{prefix}{n}",
        }
        for n, score in enumerate(scores)
    ]


def _value(metric):
    reading = MetricReading.objects.filter(metric=metric).first()
    return reading.value if reading else None


def test_survey_answers_move_a_derived_nps_key_result_and_its_initiative_through_the_worker(
    real_celery,
):
    assert connection.vendor == "postgresql"
    enterprise = CustomerFactory(segment=SegmentFactory(name="Enterprise"))
    smb = CustomerFactory(segment=SegmentFactory(name="SMB"))
    metric = MetricFactory(
        key="nps_enterprise",
        derived_kind=NPS,
        derived_window_days=90,
        derived_segment="Enterprise",
    )
    kr = KeyResultFactory(title="Enterprise NPS 30 -> 45", metric=metric, start=30, target=45)
    initiative = services.initiative_create(
        actor=None, title="SSO", reach=100, impact=2, confidence=100, effort=1
    )
    AlignmentFactory(initiative=initiative, key_result=kr)
    services.initiatives_mark(ids=[initiative.pk], trigger="edit")
    wait_for(
        lambda: not Initiative.objects.get(pk=initiative.pk).needs_rescore,
        message="the first score",
    )
    before = Initiative.objects.get(pk=initiative.pk).priority_score

    enterprise_scores = [10, 10, 9, 9, 8, 6, 10, 9]  # 6 promoters, 1 detractor of 8
    services.evidence_ingest(actor=None, items=_answers(enterprise, enterprise_scores, "e"))
    services.evidence_ingest(actor=None, items=_answers(smb, [0, 0, 0], "s"))  # other segment
    expected = derived_value(NPS, tally(NPS, enterprise_scores))
    wait_for(lambda: _value(metric) == expected, message="the worker to write the NPS reading")
    wait_for(
        lambda: KeyResult.objects.get(pk=kr.pk).current == expected,
        message="the key result to take the reading",
    )
    wait_for(
        lambda: Initiative.objects.get(pk=initiative.pk).priority_score != before,
        message="the aligned initiative to be rescored",
    )
    # COPY wrote the scores; re-sending the same answers (UPDATE path) counts them once.
    assert sorted(Evidence.objects.filter(source="nps").values_list("score", flat=True)) == sorted(
        [*enterprise_scores, 0, 0, 0]
    )
    services.evidence_ingest(actor=None, items=_answers(enterprise, enterprise_scores, "e"))
    services.evidence_ingest(actor=None, items=_answers(enterprise, [0], "e"))  # e0 now 0
    corrected = derived_value(NPS, tally(NPS, [0, *enterprise_scores[1:]]))
    wait_for(lambda: _value(metric) == corrected, message="the corrected answer to count")
    assert MetricReading.objects.filter(metric=metric).count() == 1
    assert Evidence.objects.count() == 11


def test_a_burst_of_separate_answers_ends_in_one_reading_counting_them_all(real_celery):
    customer = CustomerFactory()
    metric = MetricFactory(key="nps_all", derived_kind=NPS, derived_window_days=30)
    scores = [n % 11 for n in range(300)]
    for n, score in enumerate(scores):
        services.evidence_ingest(
            actor=None,
            items=[
                {
                    "source": "nps",
                    "text": "x",
                    "score": score,
                    "customer": customer.pk,
                    "external_id": f"b{n}",
                }
            ],
        )
    expected = derived_value(NPS, tally(NPS, scores))
    wait_for(lambda: _value(metric) == expected, message="a reading counting every answer")
    assert MetricReading.objects.filter(metric=metric).count() == 1


pytestmark = pytest.mark.integration
