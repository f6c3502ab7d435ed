"""CSV imports of evidence and initiatives (roadmap.services.imports)."""

import io
from datetime import UTC, datetime

import pytest

from audit.models import AuditEntry
from roadmap.models import Customer, Evidence, Initiative, PendingCause, PendingEvidence
from roadmap.services import initiatives_rescore_marked
from roadmap.services.evidence import MAX_BATCH
from roadmap.services.imports import (
    CsvFileError,
    MappingError,
    evidence_import,
    initiative_import,
)
from tests.factories import InitiativeFactory, SegmentFactory

pytestmark = pytest.mark.django_db


def csv_file(text: str, *, bom: bool = False) -> io.BytesIO:
    return io.BytesIO(("\ufeff" if bom else "").encode() + text.encode())


EVIDENCE_CSV = (
    "Id,Channel,Comment,Received,Client\n"
    "t-1,support,Export to PDF please,2026-11-30,acme\n"
    "t-2,Support ticket,SSO is a must,2026-11-29T10:00:00Z,globex\n"
)
MAPPING = {
    "external_id": "Id",
    "source": "Channel",
    "text": "Comment",
    "received_at": "Received",
    "customer_external_id": "Client",
}


def test_evidence_import_maps_columns_to_fields_and_writes_the_rows(product_user):
    report = evidence_import(actor=product_user, source=csv_file(EVIDENCE_CSV), mapping=MAPPING)

    assert report.ok
    assert report.written
    assert (report.rows, report.created, report.updated) == (2, 2, 0)
    first = Evidence.objects.get(external_id="t-1")
    assert first.source == "support"
    assert first.text == "Export to PDF please"
    assert first.customer.external_id == "acme"
    second = Evidence.objects.get(external_id="t-2")
    assert second.source == "support"  # by its label
    assert second.received_at == datetime(2026, 11, 29, 10, tzinfo=UTC)


def test_headers_named_as_the_fields_map_themselves(product_user):
    text = "source,Text,Importance,External-ID\nnps,Love it,critical,x1\n"

    report = evidence_import(actor=product_user, source=csv_file(text, bom=True))

    assert report.mapping == {
        "source": "source",
        "text": "Text",
        "importance": "Importance",
        "external_id": "External-ID",
    }
    assert Evidence.objects.get(external_id="x1").importance == "critical"


def test_semicolon_separated_files_are_read(product_user):
    text = "source;text;external_id\ninterview;Needs offline mode, badly;s1\n"

    evidence_import(actor=product_user, source=csv_file(text))

    assert Evidence.objects.get(external_id="s1").text == "Needs offline mode, badly"


def test_a_dry_run_reports_what_would_happen_and_writes_nothing(product_user):
    report = evidence_import(
        actor=product_user, source=csv_file(EVIDENCE_CSV), mapping=MAPPING, dry_run=True
    )

    assert (report.ok, report.written, report.created) == (True, False, 2)
    assert not Evidence.objects.exists()
    assert not Customer.objects.exists()
    assert not AuditEntry.objects.exists()


def test_every_bad_row_is_reported_with_its_row_number_and_column(product_user):
    text = (
        "Id,Channel,Comment,Received,Client\n"
        "a,support,fine,2026-11-30,c1\n"
        "b,fax,also fine,2026-11-30,c1\n"
        "c,support,,30/11/2026,c1\n"
        "d,nps,ok,2026-11-30,c1\n"
    )

    report = evidence_import(actor=product_user, source=csv_file(text), mapping=MAPPING)

    assert not report.ok
    assert not report.written
    got = {(e.row, e.column, e.message) for e in report.sorted_errors()}
    assert got == {
        (
            3,
            "Channel",
            "“fax” is not one of: interview, survey, support, nps, sales, in_app, experiment.",
        ),
        (4, "Comment", "Required: the cell is empty."),
        (
            4,
            "Received",
            "“30/11/2026” is not a date: use 2026-11-30 or 2026-11-30T14:05:00Z (ISO 8601).",
        ),
    }
    assert report.as_dict()["bad_rows"] == 2


def test_one_bad_row_writes_nothing_of_the_file(product_user):
    good = "".join(f"g{i},support,good {i},2026-11-30,c{i}\n" for i in range(1_500))
    text = "Id,Channel,Comment,Received,Client\n" + good + "bad,support,x,2999-01-01,c\n"

    report = evidence_import(actor=product_user, source=csv_file(text), mapping=MAPPING)

    assert report.rows == 1_501
    assert [(e.row, e.column) for e in report.sorted_errors()] == [(1_502, "Received")]
    assert not Evidence.objects.exists()
    assert not Customer.objects.exists()


def test_errors_the_ingest_finds_name_the_row_and_column(product_user):
    # The score's bounds depend on the source: the ingest service checks them.
    text = "source,text,score\nnps,a,11\nsurvey,b,4\nsurvey,c,9\n"

    report = evidence_import(actor=product_user, source=csv_file(text))

    assert [(e.row, e.column, e.field) for e in report.sorted_errors()] == [
        (2, "score", "score"),
        (4, "score", "score"),
    ]
    assert not Evidence.objects.exists()


def test_reimporting_a_file_updates_instead_of_duplicating(product_user):
    evidence_import(actor=product_user, source=csv_file(EVIDENCE_CSV), mapping=MAPPING)
    changed = EVIDENCE_CSV.replace("Export to PDF please", "Export to PDF and CSV")

    report = evidence_import(actor=product_user, source=csv_file(changed), mapping=MAPPING)

    assert (report.created, report.updated) == (0, 2)
    assert Evidence.objects.count() == 2
    assert Evidence.objects.get(external_id="t-1").text == "Export to PDF and CSV"


def test_evidence_links_initiatives_by_id_or_external_id_for_the_rescore(product_user):
    by_id = InitiativeFactory()
    by_ext = InitiativeFactory(external_id="JIRA-7")
    text = (
        "source,text,initiative,initiative_external_id,received_at\n"
        f"support,a,{by_id.pk},,2027-01-01T00:00:00Z\n"
        "support,b,,JIRA-7,2026-11-01\n"
        "support,c,999999,,2026-11-01\n"
        "support,d,,JIRA-8,2026-11-01\n"
    )

    report = evidence_import(actor=product_user, source=csv_file(text))

    assert [(e.row, e.field, e.message) for e in report.sorted_errors()] == [
        (2, "received_at", "Enter a date no more than one day ahead of now."),
        (4, "initiative", "No initiative with id 999999."),
        (5, "initiative_external_id", "No initiative with external id “JIRA-8”."),
    ]
    good = "\n".join(text.splitlines()[:3]).replace("2027-01-01T00:00:00Z", "2026-11-02")
    report = evidence_import(actor=product_user, source=csv_file(good + "\n"))
    assert report.written
    linked = Evidence.objects.values_list("initiative_id", flat=True)
    assert sorted(linked) == sorted([by_id.pk, by_ext.pk])
    # New linked items wait for the rescore to fold them in (as the API's ingest).
    assert PendingEvidence.objects.count() == 2


def test_an_unknown_segment_is_a_row_error(product_user):
    SegmentFactory(name="Enterprise")
    text = (
        "source,text,customer_external_id,customer_segment\n"
        "sales,a,c1,Enterprise\nsales,b,c2,Galactic\n"
    )

    report = evidence_import(actor=product_user, source=csv_file(text))

    assert [(e.row, e.message) for e in report.sorted_errors()] == [
        (3, "No segment named “Galactic”.")
    ]


def test_a_mapping_to_a_missing_column_or_without_required_fields_is_refused(product_user):
    with pytest.raises(MappingError) as caught:
        evidence_import(
            actor=product_user,
            source=csv_file(EVIDENCE_CSV),
            mapping={"source": "Channel", "text": "Body", "colour": "Id"},
        )
    assert caught.value.errors == {
        "text": "The file has no column “Body”.",
        "colour": "Not a field of the evidence format.",
    }
    with pytest.raises(MappingError) as caught:
        evidence_import(actor=product_user, source=csv_file("a,b\n1,2\n"))
    assert caught.value.errors == {
        "source": "Required: map a column to it.",
        "text": "Required: map a column to it.",
    }


def test_a_file_that_is_not_utf8_is_refused_clearly(product_user):
    with pytest.raises(CsvFileError, match="not UTF-8"):
        evidence_import(
            actor=product_user, source=io.BytesIO("source,text\nnps,caf\xe9\n".encode("latin-1"))
        )


def test_a_file_over_the_row_limit_writes_nothing(product_user, settings):
    settings.CSV_IMPORT_MAX_ROWS = 3
    text = "source,text\n" + "support,x\n" * 4

    report = evidence_import(actor=product_user, source=csv_file(text))

    assert [(e.row, e.column) for e in report.sorted_errors()] == [(5, None)]
    assert "more than 3 rows" in report.errors[0].message
    assert not Evidence.objects.exists()


def test_the_report_lists_a_bounded_number_of_errors_and_counts_them_all(product_user, settings):
    settings.CSV_IMPORT_MAX_ERRORS = 2
    text = "source,text\n" + "fax,x\n" * 5

    report = evidence_import(actor=product_user, source=csv_file(text))

    assert report.as_dict()["error_count"] == 5
    assert report.as_dict()["errors_truncated"] is True
    assert len(report.errors) == 2


# --- initiatives ------------------------------------------------------------------

INITIATIVES_CSV = (
    "Key,Summary,Status,Impact,Effort,Reach,Team\n"
    "P-1,Offline mode,planned,High,3,1200,Mobile\n"
    'P-2,"SSO, SAML",idea,0.5,"1,000",500,Platform\n'
)
INITIATIVE_MAPPING = {
    "external_id": "Key",
    "title": "Summary",
    "status": "Status",
    "impact": "Impact",
    "effort": "Effort",
    "reach": "Reach",
    "team": "Team",
}


def test_initiative_import_creates_through_the_service(product_user):
    report = initiative_import(
        actor=product_user, source=csv_file(INITIATIVES_CSV), mapping=INITIATIVE_MAPPING
    )

    assert report.written
    assert (report.created, report.updated) == (2, 0)
    offline = Initiative.objects.get(external_id="P-1")
    assert (offline.title, offline.status, offline.impact, offline.effort) == (
        "Offline mode",
        "planned",
        2.0,
        3.0,
    )
    assert Initiative.objects.get(external_id="P-2").effort == 1000.0
    assert offline.owner == product_user
    assert AuditEntry.objects.filter(action="create").count() == 2
    assert PendingCause.objects.filter(initiative=offline).exists()


def test_initiative_reimport_updates_only_the_given_cells_and_records_causes(product_user):
    initiative_import(
        actor=product_user, source=csv_file(INITIATIVES_CSV), mapping=INITIATIVE_MAPPING
    )
    text = "Key,Effort,Team\nP-1,5,\n"

    with pytest.raises(MappingError):  # "Key" is no field's name: nothing to find P-1 by
        initiative_import(actor=product_user, source=csv_file(text))

    report = initiative_import(
        actor=product_user,
        source=csv_file(text),
        mapping={"external_id": "Key", "effort": "Effort", "team": "Team"},
    )

    assert (report.created, report.updated) == (0, 1)
    offline = Initiative.objects.get(external_id="P-1")
    assert (offline.effort, offline.team, offline.title) == (5.0, "Mobile", "Offline mode")
    assert Initiative.objects.count() == 2
    assert PendingCause.objects.filter(
        initiative=offline, payload__field="effort", payload__to=5.0
    ).exists()


def test_initiative_rows_the_model_refuses_are_reported_and_nothing_is_written(product_user):
    text = (
        "title,confidence,target_quarter,owner,external_id\n"
        "Fine,80,2026-Q4,pat,a\n"
        "Too sure,150,2026-Q4,pat,b\n"
        "Bad quarter,80,Q4,nobody,c\n"
        ",80,,,d\n"
    )

    report = initiative_import(actor=product_user, source=csv_file(text))

    got = {(e.row, e.column) for e in report.sorted_errors()}
    assert got == {
        (3, "confidence"),
        (4, "owner"),
        (5, "title"),
    }
    assert not Initiative.objects.exists()
    # The owner error hides nothing else in its row once the owner exists.
    fixed = text.replace("nobody", "pat")
    report = initiative_import(actor=product_user, source=csv_file(fixed))
    assert (4, "target_quarter") in {(e.row, e.column) for e in report.sorted_errors()}


def test_a_reimport_marks_each_initiative_once_whatever_the_batches_it_spans(product_user):
    """Marking batch by batch rewrote an initiative's row once per batch of the file
    (1,000 rows), none of those row versions reclaimable before the import commits."""
    first, second = InitiativeFactory(), InitiativeFactory()
    rows = 2 * MAX_BATCH + 500  # three batches, every one naming both initiatives
    text = "external_id,source,text,initiative,received_at\n" + "".join(
        f"x-{n},support,item {n},{(first, second)[n % 2].pk},2026-11-01\n" for n in range(rows)
    )
    assert evidence_import(actor=product_user, source=csv_file(text)).written
    before = dict(Initiative.objects.values_list("pk", "mark_version"))

    moved = text.replace("item ", "item again ")
    report = evidence_import(actor=product_user, source=csv_file(moved))

    assert (report.written, report.updated) == (True, rows)
    after = dict(Initiative.objects.values_list("pk", "mark_version"))
    assert {pk: after[pk] - before[pk] for pk in before} == {first.pk: 1, second.pk: 1}
    assert set(Initiative.objects.filter(needs_rescore=True).values_list("pk", flat=True)) == {
        first.pk,
        second.pk,
    }
    initiatives_rescore_marked()
    assert Initiative.objects.get(pk=first.pk).evidence_count == rows // 2


def test_a_dry_run_marks_nothing(product_user):
    initiative = InitiativeFactory()
    text = f"external_id,source,text,initiative\nx-1,support,item,{initiative.pk}\n"
    evidence_import(actor=product_user, source=csv_file(text))
    before = Initiative.objects.get(pk=initiative.pk).mark_version

    evidence_import(
        actor=product_user, source=csv_file(text.replace("item", "edited")), dry_run=True
    )

    assert Initiative.objects.get(pk=initiative.pk).mark_version == before
    assert Evidence.objects.get().text == "item"
