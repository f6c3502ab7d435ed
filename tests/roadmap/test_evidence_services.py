from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from roadmap import services
from roadmap.models import Customer, Evidence, Initiative
from tests.factories import CustomerFactory, EvidenceFactory, InitiativeFactory, SegmentFactory

pytestmark = pytest.mark.django_db


def test_repeated_external_id_updates_instead_of_duplicating():
    initiative = InitiativeFactory()
    item = {"source": "support", "text": "Export is slow", "external_id": "zd-1"}
    first = services.evidence_ingest(actor=None, items=[item])
    again = services.evidence_ingest(
        actor=None, items=[{**item, "text": "Export is very slow", "initiative": initiative}]
    )
    assert (first.created, first.updated) == (1, 0)
    assert (again.created, again.updated) == (0, 1)
    evidence = Evidence.objects.get()
    assert evidence.text == "Export is very slow"
    assert evidence.initiative == initiative
    assert evidence.updated_at > evidence.created_at  # the update is stamped


def test_the_same_external_id_twice_in_one_batch_is_one_row():
    items = [
        {"source": "nps", "text": "first", "external_id": "nps-9"},
        {"source": "nps", "text": "second", "external_id": "nps-9"},
    ]
    services.evidence_ingest(actor=None, items=items)
    assert list(Evidence.objects.values_list("text", flat=True)) == ["second"]


def test_customer_external_id_creates_the_customer_once_with_name_and_segment():
    SegmentFactory(name="Enterprise")
    items = [
        {
            "source": "sales",
            "text": f"ask {n}",
            "customer_external_id": "sf-42",
            "customer_name": "Acme Corp",
            "customer_segment": "Enterprise",
        }
        for n in range(3)
    ]
    services.evidence_ingest(actor=None, items=items)
    customer = Customer.objects.get()
    assert (customer.external_id, customer.name, customer.segment.name) == (
        "sf-42",
        "Acme Corp",
        "Enterprise",
    )
    assert customer.evidence.count() == 3


def test_a_bad_item_rejects_the_whole_batch_naming_its_index():
    items = [
        {"source": "support", "text": "fine"},
        {"source": "carrier-pigeon", "text": "bad source"},
        {"source": "nps", "text": ""},
    ]
    with pytest.raises(services.BatchValidationError) as caught:
        services.evidence_ingest(actor=None, items=items)
    assert set(caught.value.errors) == {1, 2}
    assert "source" in caught.value.errors[1]
    assert "text" in caught.value.errors[2]
    assert Evidence.objects.count() == 0


def test_more_than_1000_items_are_refused():
    with pytest.raises(ValidationError, match="at most 1000 items; this one has 1001"):
        services.evidence_ingest(actor=None, items=[{"source": "nps", "text": "x"}] * 1001)


def test_moving_evidence_marks_both_the_old_and_the_new_initiative():
    old, new = InitiativeFactory(), InitiativeFactory()
    evidence = EvidenceFactory(initiative=old)
    services.initiatives_rescore_marked()
    services.evidence_link(actor=None, evidence_ids=[evidence.pk], initiative=new)
    assert set(Initiative.objects.filter(needs_rescore=True).values_list("id", flat=True)) == {
        old.pk,
        new.pk,
    }


def test_linking_unknown_evidence_is_refused_and_changes_nothing():
    evidence = EvidenceFactory()
    initiative = InitiativeFactory()
    with pytest.raises(ValidationError):
        services.evidence_link(
            actor=None, evidence_ids=[evidence.pk, 999_999], initiative=initiative
        )
    evidence.refresh_from_db()
    assert evidence.initiative is None


def test_triage_creates_an_idea_backed_by_the_item():
    evidence = EvidenceFactory(text="Please add dark mode", customer=CustomerFactory())
    initiative = services.initiative_create_from_evidence(
        actor=None, evidence=evidence, title="Dark mode"
    )
    evidence.refresh_from_db()
    assert evidence.initiative == initiative
    assert initiative.reach_source == "evidence"
    assert initiative.status == "idea"


def test_a_batch_is_stored_as_sent_with_its_ids_in_order(django_user_model):
    """On PostgreSQL new rows go in with COPY under ids taken first; they must match."""
    actor = django_user_model.objects.create(username="pm")
    initiative, customer = InitiativeFactory(), CustomerFactory()
    items = [
        {
            "source": "support",
            "text": f"item {n}",
            "external_id": f"zd-{n}" if n % 2 else None,
            "initiative": initiative if n % 3 else None,
            "customer": customer if n % 4 else None,
            "importance": "critical",
        }
        for n in range(7)
    ]
    result = services.evidence_ingest(actor=actor, items=items)
    assert result.created == 7
    stored = {e.pk: e for e in Evidence.objects.all()}
    for item, evidence in zip(items, result.evidence, strict=True):
        row = stored[evidence.pk]
        assert (row.text, row.external_id) == (item["text"], item["external_id"])
        assert row.initiative == item["initiative"]
        assert row.customer == item["customer"]
        assert (row.importance, row.created_by, row.source) == ("critical", actor, "support")
        assert row.created_at is not None
        assert row.updated_at >= row.created_at
    # The sequence moved past the ids taken: the next row gets a fresh one.
    later = services.evidence_ingest(actor=None, items=[{"source": "nps", "text": "later"}])
    assert later.evidence[0].pk > max(stored)


def test_text_with_tabs_newlines_and_backslashes_is_stored_verbatim():
    """New rows go in by COPY on PostgreSQL: its escapes must not bend the text."""
    initiative = InitiativeFactory()
    texts = [
        "tab\there",
        "two\nlines\r\nthree",
        "back\\slash \\N \\t",
        '"quoted" \u00e9 \U0001f680',
    ]
    result = services.evidence_ingest(
        actor=None,
        items=[
            {"source": "nps", "text": text, "initiative": initiative.pk, "external_id": f"x\t{n}"}
            for n, text in enumerate(texts)
        ],
    )
    stored = dict(Evidence.objects.values_list("pk", "text"))
    assert [stored[e.pk] for e in result.evidence] == texts
    assert sorted(Evidence.objects.values_list("external_id", flat=True)) == [
        f"x\t{n}" for n in range(len(texts))
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("source", "fax"),
        ("source", ""),
        ("source", 3),
        ("importance", "urgent"),
        ("text", ""),
        ("text", None),
        ("external_id", "x" * 201),
        ("received_at", "not a date"),
        ("received_at", datetime(1700, 1, 1, tzinfo=UTC)),
        ("received_at", datetime(1969, 12, 31, 23, 59, tzinfo=UTC)),
        ("received_at", timezone.now() + timedelta(days=2)),
    ],
)
def test_item_checks_word_errors_as_full_clean_does(field, value):
    from roadmap.services.evidence_store import clean_fields

    item = Evidence(source="nps", text="ok", importance="important", received_at=timezone.now())
    setattr(item, field, value)
    expected = {}
    try:
        item.full_clean(exclude=[f.name for f in Evidence._meta.fields if f.name != field])
    except ValidationError as exc:
        expected = exc.message_dict
    assert expected  # each value is invalid
    setattr(item, field, value)
    row = {
        f.attname: getattr(item, f.attname)
        for f in Evidence._meta.concrete_fields
        if not f.generated  # the database's, not an item's
    }
    assert clean_fields(row) == expected
