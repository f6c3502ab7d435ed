"""Inbox triage: filters, search over text/customer/segment, edit, move, unlink, dismiss, bulk."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from okrs.models import Metric
from roadmap import services
from roadmap.models import Evidence, Initiative
from roadmap.selectors_inbox import inbox_list
from roadmap.services.derived_metrics import answer_counts
from tests.factories import CustomerFactory, EvidenceFactory, InitiativeFactory, SegmentFactory

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true", "HX-Target": "inbox"}


@pytest.fixture
def world(rescore):
    now = timezone.now()
    enterprise = SegmentFactory(name="Enterprise")
    globex = CustomerFactory(name="Globex", segment=enterprise)
    initech = CustomerFactory(name="Initech")
    sso = InitiativeFactory(title="SSO", reach_source="evidence")
    items = {
        "sso": EvidenceFactory(
            text="We need single sign-on",
            customer=globex,
            source="sales",
            importance="critical",
            received_at=now - timedelta(days=2),
            initiative=None,
        ),
        "export": EvidenceFactory(
            text="CSV export please",
            customer=initech,
            source="support",
            importance="nice_to_have",
            received_at=now - timedelta(days=20),
            initiative=None,
        ),
        "spam": EvidenceFactory(
            text="Buy cheap watches",
            source="in_app",
            received_at=now - timedelta(days=1),
            initiative=None,
        ),
        "linked": EvidenceFactory(
            text="SSO via Okta",
            customer=globex,
            source="interview",
            initiative=sso,
            received_at=now - timedelta(days=3),
        ),
    }
    rescore()
    return {"sso_initiative": sso, "enterprise": enterprise, "globex": globex, **items}


def _listed(client, **params) -> set[str]:
    html = client.get(reverse("roadmap:inbox"), params).content.decode()
    return {
        t for t in ("single sign-on", "CSV export", "cheap watches", "SSO via Okta") if t in html
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"single sign-on", "CSV export", "cheap watches"}),
        ({"source": "sales"}, {"single sign-on"}),
        ({"importance": "nice_to_have"}, {"CSV export"}),
        ({"state": "linked"}, {"SSO via Okta"}),
        ({"state": "all", "q": "globex"}, {"single sign-on", "SSO via Okta"}),
        ({"q": "enterprise"}, {"single sign-on"}),  # the segment's name
        ({"q": "export"}, {"CSV export"}),
        ({"state": "all", "q": "nothing like it"}, set()),
    ],
)
def test_filters_and_search(product_client, world, params, expected):
    assert _listed(product_client, **params) == expected


def test_segment_customer_and_date_filters(product_client, world):
    assert _listed(product_client, segment=world["enterprise"].pk) == {"single sign-on"}
    assert _listed(product_client, customer=world["globex"].pk, state="all") == {
        "single sign-on",
        "SSO via Okta",
    }
    week_ago = (timezone.now() - timedelta(days=7)).date().isoformat()
    assert _listed(product_client, received_after=week_ago) == {"single sign-on", "cheap watches"}
    assert _listed(product_client, received_before=week_ago) == {"CSV export"}


def test_a_bad_filter_is_dropped_alone(product_client, world):
    assert _listed(product_client, source="fax", importance="critical") == {"single sign-on"}


def test_dismissing_a_linked_item_unlinks_it_and_it_counts_for_nothing(
    product_client, world, rescore
):
    sso = world["sso_initiative"]
    sso.refresh_from_db()
    assert sso.evidence_count == 1
    response = product_client.post(
        reverse("roadmap:evidence-bulk"),
        {
            "action": "dismiss",
            "reason": "duplicate",
            "evidence": world["linked"].pk,
            "state": "linked",
        },
        headers=HTMX,
    )
    assert "Dismissed 1 item as duplicate" in response.content.decode()
    item = Evidence.objects.get(pk=world["linked"].pk)
    assert (item.initiative_id, item.dismissed_reason) == (None, "duplicate")
    assert item.dismissed_at is not None
    rescore()
    sso.refresh_from_db()
    assert sso.evidence_count == 0
    assert sso.reach == 0
    # Gone from the inbox and the linked list; findable under Dismissed and by search.
    assert "SSO via Okta" not in _listed(product_client) | _listed(product_client, state="linked")
    assert _listed(product_client, state="dismissed") == {"SSO via Okta"}
    assert _listed(product_client, state="all", q="okta") == {"SSO via Okta"}
    entry = AuditEntry.objects.get(object_id=item.pk, action="update")
    assert entry.changes["dismissed_reason"] == ["", "duplicate"]
    assert entry.changes["initiative"] == [sso.pk, None]
    # Restoring brings it back to the inbox, unlinked.
    product_client.post(
        reverse("roadmap:evidence-bulk"), {"action": "restore", "evidence": item.pk}
    )
    assert _listed(product_client) >= {"SSO via Okta"}


def test_dismiss_needs_a_reason_and_writes_nothing_without_one(product_client, world):
    response = product_client.post(
        reverse("roadmap:evidence-bulk"),
        {"action": "dismiss", "evidence": world["spam"].pk},
        headers=HTMX,
    )
    assert "Say why" in response.content.decode()
    assert Evidence.objects.filter(dismissed_reason="").count() == 4


def test_dismissed_answers_leave_derived_nps(world):
    metric = Metric.objects.create(
        key="nps-d", name="NPS", derived_kind="nps", derived_window_days=30
    )
    EvidenceFactory(source="nps", score=0, text="Awful", initiative=None)
    end = timezone.now() + timedelta(minutes=1)
    assert answer_counts(metric, end=end).total == 1
    spam = Evidence.objects.get(text="Awful")
    services.evidence_dismiss(actor=None, evidence_ids=[spam.pk], reason="spam")
    assert answer_counts(metric, end=end).total == 0


def test_move_and_unlink(product_client, world, rescore):
    other = InitiativeFactory(title="Okta integration")
    product_client.post(
        reverse("roadmap:evidence-bulk"),
        {"action": "link", "initiative": other.pk, "evidence": world["linked"].pk},
    )
    assert Evidence.objects.get(pk=world["linked"].pk).initiative == other
    assert Initiative.objects.get(pk=world["sso_initiative"].pk).needs_rescore
    product_client.post(
        reverse("roadmap:evidence-bulk"), {"action": "unlink", "evidence": world["linked"].pk}
    )
    assert Evidence.objects.get(pk=world["linked"].pk).initiative is None


def test_bulk_on_everything_matching_the_filter(product_client, world):
    response = product_client.post(
        reverse("roadmap:evidence-bulk"),
        {"action": "dismiss", "reason": "wont_do", "scope": "matching", "q": "export"},
        headers=HTMX,
    )
    assert "Dismissed 1 item" in response.content.decode()
    assert list(Evidence.objects.exclude(dismissed_reason="").values_list("text", flat=True)) == [
        "CSV export please"
    ]


def test_bulk_refuses_more_than_its_limit_and_writes_nothing(product_client, world, monkeypatch):
    monkeypatch.setattr("roadmap.services.BULK_MAX", 1)
    monkeypatch.setattr("roadmap.services.triage.BULK_MAX", 1)
    response = product_client.post(
        reverse("roadmap:evidence-bulk"),
        {"action": "dismiss", "reason": "spam", "scope": "matching"},
        headers=HTMX,
    )
    assert "at most 1" in response.content.decode()
    assert not Evidence.objects.exclude(dismissed_reason="").exists()


def test_editing_an_item_is_audited_and_rescores_its_initiative(product_client, world, rescore):
    item = world["linked"]
    response = product_client.post(
        reverse("roadmap:evidence-edit", args=[item.pk]),
        {
            "text": "SSO via Okta and Azure AD",
            "source": "interview",
            "importance": "critical",
            "score": "",
            "customer": world["globex"].pk,
            "received_at": item.received_at.strftime("%Y-%m-%dT%H:%M"),
            "next": "https://evil.example/",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("roadmap:inbox")  # never off-site
    item.refresh_from_db()
    assert (item.text, item.importance) == ("SSO via Okta and Azure AD", "critical")
    assert Initiative.objects.get(pk=world["sso_initiative"].pk).needs_rescore
    entry = AuditEntry.objects.get(object_id=item.pk, action="update")
    assert entry.changes["importance"] == ["important", "critical"]


def test_a_bad_edit_says_why_and_writes_nothing(product_client, world):
    item = world["sso"]
    response = product_client.post(
        reverse("roadmap:evidence-edit", args=[item.pk]),
        {"text": "", "source": "nps", "importance": "critical", "score": "11"},
    )
    assert response.status_code == 422
    assert Evidence.objects.get(pk=item.pk).text == "We need single sign-on"


def test_marketing_reads_the_inbox_but_cannot_triage(marketing_client, world):
    assert marketing_client.get(reverse("roadmap:inbox")).status_code == 200
    response = marketing_client.post(
        reverse("roadmap:evidence-bulk"),
        {"action": "dismiss", "reason": "spam", "evidence": world["spam"].pk},
    )
    assert response.status_code == 403
    assert not Evidence.objects.exclude(dismissed_reason="").exists()


def test_a_re_sent_dismissed_item_stays_dismissed(world, product_user):
    item = world["spam"]
    item.external_id = "ticket-9"
    item.save()
    services.evidence_dismiss(actor=product_user, evidence_ids=[item.pk], reason="spam")
    services.evidence_ingest(
        actor=product_user,
        items=[
            {
                "external_id": "ticket-9",
                "text": "Buy cheap watches",
                "source": "in_app",
                "initiative": world["sso_initiative"].pk,
            }
        ],
    )
    item.refresh_from_db()
    assert (item.dismissed_reason, item.initiative_id) == ("spam", None)


on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="full-text search: PostgreSQL only (set DATABASE_URL)"
)


@on_postgresql
def test_search_stems_words_on_postgresql(product_client, world):
    # "exporting" is no substring of "CSV export please": only stemming finds it.
    assert _listed(product_client, q="exporting") == {"CSV export"}
    assert _listed(product_client, q="exporting", state="all") == {"CSV export"}


@on_postgresql
def test_search_uses_the_text_index_on_postgresql(world, product_user):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'evidence_text_search'")
        (definition,) = cursor.fetchone()
    assert "USING gin (to_tsvector('english'::regconfig" in definition
    assert "WHERE (initiative_id IS NULL)" in definition  # linked inserts pay nothing
    # The index can serve a search only where the query filters on its very
    # expression and implies its predicate: the inbox and dismissed states do.
    for state in ("inbox", "dismissed"):
        qs = inbox_list(viewer=product_user, filters={"q": "export", "state": state})
        sql, params = qs.query.sql_with_params()
        assert 'to_tsvector(%s::regconfig, COALESCE("roadmap_evidence"."text"' in sql, state
        assert "english" in params, state
        assert '"roadmap_evidence"."initiative_id" IS NULL' in sql, state


def test_search_query_count_is_constant(product_client, world):
    def queries(**params) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert product_client.get(reverse("roadmap:inbox"), params).status_code == 200
        return len(ctx.captured_queries)

    few = queries(q="globex", state="all")
    for n in range(12):
        customer = CustomerFactory(name=f"Globex {n}", segment=world["enterprise"])
        EvidenceFactory(text=f"export {n}", customer=customer, initiative=None)
    assert queries(q="globex", state="all") == few
    assert queries(q="export", state="all") == few


def test_the_count_stops_at_its_cap(product_client, world, monkeypatch):
    monkeypatch.setattr("roadmap.views.evidence.COUNT_CAP", 2)
    html = product_client.get(reverse("roadmap:inbox")).content.decode()
    assert "More than 2 items" in html
    assert _listed(product_client) == {"single sign-on", "CSV export", "cheap watches"}
    monkeypatch.setattr("roadmap.views.evidence.COUNT_CAP", 3)
    assert "3 items in the inbox" in product_client.get(reverse("roadmap:inbox")).content.decode()
