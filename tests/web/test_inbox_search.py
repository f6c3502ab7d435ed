"""The inbox search over every state: search documents past a mark, the items past it, edits."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from roadmap import services
from roadmap.models import EvidenceDocument, EvidenceDocumentMark
from roadmap.selectors_inbox import inbox_list, inbox_matches
from roadmap.services.evidence_search import documents_forget, documents_sweep
from roadmap.tasks import sweep_evidence_documents
from tests.factories import CustomerFactory, EvidenceFactory, InitiativeFactory

pytestmark = pytest.mark.django_db
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="search documents: PostgreSQL only"
)
STATES = ("inbox", "linked", "dismissed", "all")


@pytest.fixture
def items(product_user):
    okta = InitiativeFactory(title="Okta")
    acme = CustomerFactory(name="Acme Corp")
    made = {
        "unlinked": EvidenceFactory(text="Exporting invoices is slow", initiative=None),
        "linked": EvidenceFactory(text="Invoices export breaks", initiative=okta),
        "customer": EvidenceFactory(text="Dark mode", customer=acme, initiative=okta),
        "dismissed": EvidenceFactory(text="Export button colour", initiative=None),
    }
    services.evidence_dismiss(
        actor=product_user, evidence_ids=[made["dismissed"].pk], reason="wont_do"
    )
    return made


def _found(user, q: str, state: str) -> set[str]:
    return {e.text for e in inbox_list(viewer=user, filters={"q": q, "state": state})}


def _every_state(user, q: str) -> dict[str, set[str]]:
    return {state: _found(user, q, state) for state in STATES}


EXPORT = {
    "inbox": {"Exporting invoices is slow"},
    "linked": {"Invoices export breaks"},
    "dismissed": {"Export button colour"},
    "all": {"Exporting invoices is slow", "Invoices export breaks", "Export button colour"},
}


def test_every_state_finds_text_and_customer_before_and_after_the_sweep(product_user, items):
    before = _every_state(product_user, "export")
    assert documents_sweep() == (4 if connection.vendor == "postgresql" else 0)
    if connection.vendor == "postgresql":
        assert EvidenceDocumentMark.objects.get(pk=1).evidence_id == items["dismissed"].pk
        assert documents_sweep() == 0  # nothing new: idempotent
    assert before == _every_state(product_user, "export") == EXPORT
    assert _found(product_user, "acme", "linked") == {"Dark mode"}
    assert _found(product_user, "acme", "all") == {"Dark mode"}


@on_postgresql
def test_an_item_past_the_mark_is_found_by_its_text(product_user, items):
    documents_sweep()
    late = EvidenceFactory(text="Export to PDF", initiative=items["linked"].initiative)
    assert not EvidenceDocument.objects.filter(evidence_id=late.pk).exists()
    assert "Export to PDF" in _found(product_user, "export", "linked")
    assert "Export to PDF" in _found(product_user, "export", "all")


@on_postgresql
def test_an_edited_text_is_found_by_its_new_words_only(product_user, items):
    documents_sweep()
    services.evidence_edit(
        actor=product_user, evidence=items["linked"], data={"text": "Single sign-on please"}
    )
    for state in ("linked", "all"):
        assert "Single sign-on please" in _found(product_user, "sign-on", state)
        assert "Single sign-on please" not in _found(product_user, "invoices", state)


@on_postgresql
def test_a_resent_item_with_new_text_is_found_by_it(product_user, items):
    initiative = items["linked"].initiative
    item = {"source": "support", "text": "Audit log export", "initiative": initiative}
    services.evidence_ingest(actor=product_user, items=[{**item, "external_id": "t-1"}])
    documents_sweep()
    services.evidence_ingest(
        actor=product_user, items=[{**item, "text": "Audit trail", "external_id": "t-1"}]
    )
    assert "Audit trail" in _found(product_user, "trail", "linked")
    assert "Audit trail" not in _found(product_user, "log", "all")


@on_postgresql
def test_forgotten_documents_leave_every_item_found_and_are_written_again(product_user, items):
    # A workspace import loads items with ids of their own: their documents go.
    documents_sweep()
    documents_forget()
    assert not EvidenceDocument.objects.exists()
    assert EvidenceDocumentMark.objects.get(pk=1).evidence_id == 0
    assert _every_state(product_user, "export") == EXPORT
    assert documents_sweep() == 4


@pytest.mark.parametrize("state", STATES)
def test_many_matches_list_the_same_items_as_few(product_user, items, monkeypatch, state):
    documents_sweep()
    few = list(inbox_list(viewer=product_user, filters={"q": "export", "state": state}))
    monkeypatch.setattr("roadmap.selectors_inbox.INBOX_FEW", 1)
    many = list(inbox_list(viewer=product_user, filters={"q": "export", "state": state}))
    assert few == many


def test_the_search_of_every_state_takes_as_many_queries_whatever_it_matches(
    product_client, items, monkeypatch
):
    def queries(**params) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert product_client.get(reverse("roadmap:inbox"), params).status_code == 200
        return len(ctx.captured_queries)

    for state in STATES:
        few = queries(q="export", state=state)
        monkeypatch.setattr("roadmap.selectors_inbox.INBOX_FEW", 0)
        monkeypatch.setattr("roadmap.views.evidence.COUNT_CAP", 0)
        assert queries(q="export", state=state) == few, state
        monkeypatch.undo()


@pytest.mark.parametrize("state", STATES)
def test_the_count_takes_text_and_customer_matches_once_under_any_cap(product_user, items, state):
    # One item matches by its text and its customer, one by its customer only, two by text.
    acme = items["customer"].customer
    EvidenceFactory(text="Acme wants SSO", customer=acme, initiative=None)
    EvidenceFactory(text="Acme again", initiative=None)
    documents_sweep()
    filters = {"q": "acme", "state": state}
    expected = {
        "inbox": {"Acme wants SSO", "Acme again"},
        "linked": {"Dark mode"},
        "dismissed": set(),
        "all": {"Acme wants SSO", "Acme again", "Dark mode"},
    }[state]
    assert _found(product_user, "acme", state) == expected
    for cap in (10, len(expected)):
        matches = inbox_matches(viewer=product_user, filters=filters, cap=cap)
        assert matches.count == len(expected)
        assert {e.text for e in matches.items} == expected
    if expected:
        # More than the cap: counted as cap + 1, the same items listed.
        matches = inbox_matches(viewer=product_user, filters=filters, cap=len(expected) - 1)
        assert matches.count == len(expected)
        assert {e.text for e in matches.items} == expected


@on_postgresql
def test_the_inbox_state_has_statistics_on_the_searched_expression(product_user):
    # Without them PostgreSQL estimates a word in every unlinked item as rare
    # (the text index is partial) and sorts every match for a page of 20.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_statisticsobjdef(oid) FROM pg_statistic_ext"
            " WHERE stxname = 'evidence_text_words'"
        )
        (definition,) = cursor.fetchone()
    assert "to_tsvector('english'::regconfig, COALESCE(text, ''::text))" in definition


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_sweep_waits_for_ids_drawn_by_a_batch_not_yet_committed():
    EvidenceDocumentMark.objects.get_or_create(pk=1)
    EvidenceFactory(text="committed first", initiative=None)
    drawn = threading.Event()
    finish = threading.Event()

    def batch():
        # Another connection draws ids (and takes the table's write lock) and holds on.
        try:
            with transaction.atomic():
                services.evidence_ingest(
                    actor=None, items=[{"source": "support", "text": "committed late"}]
                )
                drawn.set()
                finish.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=batch)
    thread.start()
    try:
        assert drawn.wait(10)
        assert documents_sweep() == 0  # it cannot tell which ids are settled yet
        assert EvidenceDocumentMark.objects.get(pk=1).evidence_id == 0
    finally:
        finish.set()
        thread.join()
    assert documents_sweep() == 2


def test_beat_sweeps_the_documents_every_ten_seconds(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["sweep-evidence-documents"]
    assert entry["task"] == "roadmap.tasks.sweep_evidence_documents"
    assert entry["schedule"] == timedelta(seconds=10)
    assert sweep_evidence_documents() == 0  # nothing new
