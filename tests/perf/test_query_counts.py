"""List endpoints and pages cost the same number of queries for 2 rows as for 20.

Each case counts the queries of one request, adds ten times the data, and
counts again: a per-row query (a missing select_related or prefetch) shows up
as a difference.
"""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from roadmap.services import initiatives_rescore_marked
from tests.factories import (
    AlignmentFactory,
    CheckInFactory,
    CustomerFactory,
    EvidenceFactory,
    InitiativeFactory,
    KeyResultFactory,
    MetricFactory,
    MetricReadingFactory,
    ObjectiveFactory,
    SegmentFactory,
)

pytestmark = pytest.mark.django_db

API_LISTS = [
    "/api/v1/initiatives/",
    "/api/v1/priorities/",
    "/api/v1/evidence/",
    "/api/v1/customers/",
    "/api/v1/segments/",
    "/api/v1/alignments/",
    "/api/v1/objectives/",
    "/api/v1/key-results/",
]
PAGES = [
    "/roadmap/",
    "/roadmap/timeline/",
    "/priorities/",
    "/evidence/",
    "/okrs/",
    "/okrs/metrics/",
    "/customers/",
    "/activity/",
    "/alignment/?tab=matrix",
    "/alignment/?tab=unaligned",
    "/alignment/?tab=unserved",
    "/alignment/?tab=effort",
    "/alignment/?tab=segments",
]


def _grow(n: int) -> None:
    """n more of everything the lists show, linked the way real data is."""
    for i in range(n):
        segment = SegmentFactory(name=f"Segment {SegmentFactory._meta.model.objects.count()}")
        customer = CustomerFactory(segment=segment)
        initiative = InitiativeFactory(
            reach=10 * (i + 1), reach_source="evidence" if i % 2 else "manual"
        )
        metric = MetricFactory()
        MetricReadingFactory(metric=metric, value=i)
        key_result = KeyResultFactory(metric=metric)
        CheckInFactory(key_result=key_result)
        AlignmentFactory(initiative=initiative, key_result=key_result)
        EvidenceFactory(initiative=initiative, customer=customer)
        EvidenceFactory(initiative=None, customer=customer)  # the triage inbox
    initiatives_rescore_marked()


def _count(client, url: str) -> int:
    client.get(url)  # per-process state (the role cache on the user) is not per row
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


@pytest.fixture
def api(product_user):
    client = APIClient()
    client.force_authenticate(product_user)
    return client


@pytest.fixture
def browser(product_user):
    client = Client()
    client.force_login(product_user)
    return client


@pytest.mark.parametrize("url", API_LISTS)
def test_api_list_costs_the_same_queries_for_2_and_20_rows(api, url):
    _grow(2)
    few = _count(api, url)
    _grow(18)
    assert _count(api, url) == few


@pytest.mark.parametrize("url", PAGES)
def test_page_costs_the_same_queries_for_2_and_20_rows(browser, url):
    _grow(2)
    few = _count(browser, url)
    _grow(18)
    assert _count(browser, url) == few


def test_objective_page_costs_the_same_queries_for_2_and_20_key_results(browser):
    objective = ObjectiveFactory()
    ObjectiveFactory(parent=objective)

    def grow(n):
        for _ in range(n):
            metric = MetricFactory()
            key_result = KeyResultFactory(objective=objective, metric=metric)
            CheckInFactory(key_result=key_result)
            AlignmentFactory(key_result=key_result)

    grow(2)
    few = _count(browser, f"/okrs/objectives/{objective.pk}/")
    grow(18)
    assert _count(browser, f"/okrs/objectives/{objective.pk}/") == few


def test_initiative_page_costs_the_same_queries_for_2_and_60_evidence_items(browser):
    """The page lists a page of the newest evidence, not all of it."""
    initiative = InitiativeFactory(reach_source="evidence")
    customers = CustomerFactory.create_batch(3, segment=SegmentFactory())

    def grow(n):
        for k in range(n):
            EvidenceFactory(initiative=initiative, customer=customers[k % 3])
        initiatives_rescore_marked()

    url = f"/initiatives/{initiative.pk}/"
    grow(2)
    few = _count(browser, url)
    grow(58)
    assert _count(browser, url) == few
    response = browser.get(url)
    assert len(response.context["evidence"]) == 25
    assert response.context["evidence_page"].paginator.count == 60
    assert "1\u201325 of 60, newest first" in response.content.decode()
    last = browser.get(url, {"evidence": 3})
    assert len(last.context["evidence"]) == 10


def test_metric_and_key_result_pages_cost_the_same_queries_for_2_and_60_readings(browser):
    metric = MetricFactory()
    key_result = KeyResultFactory(metric=metric)

    def grow(n):
        for _ in range(n):
            MetricReadingFactory(metric=metric)
            CheckInFactory(key_result=key_result)

    urls = [f"/okrs/metrics/{metric.key}/", f"/okrs/key-results/{key_result.pk}/"]
    grow(2)
    few = [_count(browser, url) for url in urls]
    grow(58)
    assert [_count(browser, url) for url in urls] == few
