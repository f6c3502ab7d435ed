"""Cursor paging stays exact while rows arrive; `updated_after` syncs what changed."""

import datetime as dt

import pytest
from django.utils import timezone

from okrs.models import MetricReading
from roadmap.models import Customer, Evidence, Initiative
from roadmap.services import initiatives_rescore_marked
from tests.api.problems import codes
from tests.factories import InitiativeFactory, MetricFactory

pytestmark = pytest.mark.django_db


def _walk(client, url, params, *, between=None) -> list[dict]:
    """Every row of the list, following `next`; `between()` runs after each page."""
    rows, page = [], client.get(url, params).json()
    while True:
        rows += page["results"]
        if between:
            between()
        if page["next"] is None:
            return rows
        page = client.get(page["next"]).json()


def test_evidence_arriving_between_page_reads_is_neither_repeated_nor_skipped(integration):
    base = timezone.now() - dt.timedelta(days=1)
    Evidence.objects.bulk_create(
        Evidence(source="support", text=f"old {n}", received_at=base - dt.timedelta(minutes=n))
        for n in range(25)
    )
    before = set(Evidence.objects.values_list("id", flat=True))
    arrivals = iter(range(100))

    def three_more():  # newer than everything: they land on pages already read
        for _ in range(3):
            integration.post(
                "/api/v1/evidence/", {"source": "survey", "text": f"new {next(arrivals)}"}
            )

    rows = _walk(integration, "/api/v1/evidence/", {"page_size": 10}, between=three_more)

    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids))  # no duplicates
    assert before <= set(ids)  # nothing that was there is skipped


def test_priorities_page_by_score_with_ties_without_duplicates(product):
    # Equal scores: the id breaks the tie, so each row has one place.
    for _ in range(7):
        InitiativeFactory(reach=10)
    for _ in range(4):
        InitiativeFactory(reach=20)
    initiatives_rescore_marked()

    def insert_one():
        Initiative.objects.create(
            title="late", reach=10, impact=1, confidence=80, effort=1, status="planned"
        )

    rows = _walk(
        product,
        "/api/v1/priorities/",
        {"ordering": "-priority_score", "page_size": 3},
        between=insert_one,
    )

    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids)) >= 11
    scores = [row["priority_score"] for row in rows]
    assert scores == sorted(scores, reverse=True)


def test_previous_leads_back_to_the_same_rows(product):
    for n in range(7):
        Customer.objects.create(name=f"C{n}")
    first = product.get("/api/v1/customers/", {"page_size": 3}).json()
    second = product.get(first["next"]).json()
    back = product.get(second["previous"]).json()

    assert first["previous"] is None
    assert [r["id"] for r in back["results"]] == [r["id"] for r in first["results"]]


def test_a_cursor_for_another_ordering_or_made_up_is_a_400(product):
    for n in range(3):
        Customer.objects.create(name=f"C{n}")
    page = product.get("/api/v1/customers/", {"page_size": 1}).json()
    cursor = page["next"].split("cursor=")[1].split("&")[0]

    other = product.get("/api/v1/customers/", {"cursor": cursor, "ordering": "-name"})
    made_up = product.get("/api/v1/customers/", {"cursor": "bm90IGEgY3Vyc29y"})

    assert codes(other) == {"cursor": ["invalid"]}
    assert codes(made_up) == {"cursor": ["invalid"]}


def test_updated_after_answers_only_what_changed_since(product):
    old, changed = Customer.objects.create(name="Old"), Customer.objects.create(name="Changed")
    past = timezone.now() - dt.timedelta(hours=1)
    Customer.objects.filter(pk=old.pk).update(updated_at=past)
    Customer.objects.filter(pk=changed.pk).update(updated_at=past)
    since = (past + dt.timedelta(minutes=1)).isoformat()
    product.patch(f"/api/v1/customers/{changed.pk}/", {"name": "Changed again"})

    rows = product.get("/api/v1/customers/", {"updated_after": since}).json()["results"]

    assert [row["id"] for row in rows] == [changed.pk]


def test_created_after_and_a_bad_moment(product):
    InitiativeFactory(title="new")
    since = (timezone.now() - dt.timedelta(minutes=5)).isoformat()
    later = (timezone.now() + dt.timedelta(minutes=5)).isoformat()

    assert len(product.get("/api/v1/initiatives/", {"created_after": since}).json()["results"]) == 1
    assert product.get("/api/v1/initiatives/", {"created_after": later}).json()["results"] == []
    assert codes(product.get("/api/v1/initiatives/", {"updated_after": "yesterday"})) == {
        "updated_after": ["invalid"]
    }


def test_a_re_pushed_reading_counts_as_updated(integration):
    metric = MetricFactory(key="nps")
    url = f"/api/v1/metrics/{metric.key}/readings/"
    integration.post(url, [{"value": 1, "external_id": "a"}, {"value": 2, "external_id": "b"}])
    MetricReading.objects.update(updated_at=timezone.now() - dt.timedelta(hours=1))
    since = (timezone.now() - dt.timedelta(minutes=1)).isoformat()
    integration.post(url, [{"value": 3, "external_id": "a"}])

    rows = integration.get(url, {"updated_after": since}).json()["results"]

    assert [row["external_id"] for row in rows] == ["a"]


def test_an_objects_history_syncs_with_created_after(product):
    from datetime import timedelta

    from django.utils import timezone

    from audit.models import AuditEntry

    created = product.post(
        "/api/v1/initiatives/", {"title": "Audited", "reach": 1, "effort": 1}, format="json"
    ).json()
    url = f"/api/v1/initiatives/{created['id']}/history/"
    product.patch(url.replace("history/", ""), {"title": "Renamed"}, format="json")
    entries = AuditEntry.objects.filter(object_id=created["id"]).order_by("created_at")
    assert entries.count() == 2
    AuditEntry.objects.filter(pk=entries[0].pk).update(
        created_at=timezone.now() - timedelta(days=2)
    )
    since = (timezone.now() - timedelta(days=1)).isoformat()
    body = product.get(url, {"created_after": since}).json()
    assert [e["action"] for e in body["results"]] == ["update"]
    assert len(product.get(url).json()["results"]) == 2
    assert product.get(url, {"created_after": "soon"}).status_code == 400
