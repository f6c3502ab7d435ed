"""POST /api/v1/imports/{evidence,initiatives}/: text/csv or multipart, a mapping, dry runs."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from roadmap.models import Evidence, Initiative
from tests.api.problems import fields, problem

pytestmark = pytest.mark.django_db

EVIDENCE = "/api/v1/imports/evidence/"
INITIATIVES = "/api/v1/imports/initiatives/"
CSV = "Id,Channel,Comment\nzd-1,support,Export is slow\nzd-2,nps,Love it\n"
MAP = "?map=external_id:Id&map=source:Channel&map=text:Comment"


def post_csv(client, url, body: str, **extra):
    return client.post(url, data=body.encode(), content_type="text/csv", **extra)


def test_a_text_csv_body_with_a_mapping_in_the_query_imports_the_rows(integration):
    response = post_csv(integration, EVIDENCE + MAP, CSV)

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["written"], body["dry_run"], body["rows"], body["created"]) == (True, False, 2, 2)
    assert body["mapping"] == {"external_id": "Id", "source": "Channel", "text": "Comment"}
    assert body["errors"] == []
    assert set(Evidence.objects.values_list("external_id", flat=True)) == {"zd-1", "zd-2"}


def test_an_octet_stream_body_is_read_as_the_csv(integration):
    """What the schema documents (and a generated client sends) for the raw body."""
    response = integration.post(
        EVIDENCE + MAP, data=CSV.encode(), content_type="application/octet-stream"
    )

    assert response.status_code == 200, response.content
    assert response.json()["created"] == 2
    assert set(Evidence.objects.values_list("external_id", flat=True)) == {"zd-1", "zd-2"}


def test_a_multipart_upload_with_the_mapping_as_form_fields(marketing):
    upload = SimpleUploadedFile("feedback.csv", CSV.encode(), content_type="text/csv")

    response = marketing.post(
        EVIDENCE,
        {"file": upload, "map": ["external_id:Id", "source:Channel", "text:Comment"]},
        format="multipart",
    )

    assert response.status_code == 200, response.content
    assert response.json()["created"] == 2


def test_a_dry_run_answers_the_report_with_every_bad_row_and_writes_nothing(integration):
    body = "Id,Channel,Comment\nzd-1,fax,a\nzd-2,support,b\nzd-3,support,\n"

    response = post_csv(integration, EVIDENCE + MAP + "&dry_run=1", body)

    assert response.status_code == 200
    report = response.json()
    assert (report["written"], report["dry_run"], report["bad_rows"]) == (False, True, 2)
    assert [(e["row"], e["column"], e["field"]) for e in report["errors"]] == [
        (2, "Channel", "source"),
        (4, "Comment", "text"),
    ]
    assert not Evidence.objects.exists()


def test_a_good_dry_run_counts_what_would_be_created_and_updated(integration):
    post_csv(integration, EVIDENCE + MAP, "Id,Channel,Comment\nzd-1,support,old\n")

    report = post_csv(integration, EVIDENCE + MAP + "&dry_run=true", CSV).json()

    assert (report["created"], report["updated"], report["written"]) == (1, 1, False)
    assert Evidence.objects.get(external_id="zd-1").text == "old"


def test_an_import_with_bad_rows_is_a_400_naming_each_row_and_nothing_is_written(integration):
    body = "Id,Channel,Comment\nzd-1,fax,a\nzd-2,support,b\nzd-3,support,\n"

    response = post_csv(integration, EVIDENCE + MAP, body)

    assert response.status_code == 400
    assert problem(response)["detail"] == "2 of 3 rows are invalid; nothing was written."
    errors = fields(response)
    assert errors["/rows/4/text"] == ["Column “Comment”: Required: the cell is empty."]
    assert [pointer.split("/")[2] for pointer in errors] == ["2", "4"]
    assert not Evidence.objects.exists()


def test_reimporting_the_same_file_updates_and_never_duplicates(integration):
    post_csv(integration, EVIDENCE + MAP, CSV)

    body = post_csv(integration, EVIDENCE + MAP, CSV).json()

    assert (body["created"], body["updated"]) == (0, 2)
    assert Evidence.objects.count() == 2


def test_a_mapping_to_a_column_the_file_lacks_is_a_400(integration):
    response = post_csv(integration, EVIDENCE + "?map=source:Channel&map=text:Body", CSV)

    assert response.status_code == 400
    assert fields(response) == {"map": ["The file has no column “Body”."]}


def test_a_malformed_mapping_and_unknown_parameters_are_refused(integration):
    assert fields(post_csv(integration, EVIDENCE + "?map=text", CSV)) == {
        "map": ["“text” is not field:column (e.g. text:Comment)."]
    }
    assert fields(post_csv(integration, EVIDENCE + "?dryrun=1", CSV)) == {
        "dryrun": ["Unknown query parameter 'dryrun'."]
    }


def test_no_file_and_a_file_that_is_not_utf8_are_clear_400s(integration):
    response = integration.post(EVIDENCE, {"map": "text:x"}, format="multipart")
    assert response.status_code == 400
    assert "/file" in fields(response)

    response = integration.post(
        EVIDENCE, data="source,text\nnps,caf\xe9\n".encode("latin-1"), content_type="text/csv"
    )
    assert response.status_code == 400
    assert fields(response) == {
        "/file": ["The file is not UTF-8 text; save it as “CSV UTF-8” and upload it again."]
    }


def test_a_file_over_the_limit_is_a_413_naming_the_setting(integration, settings):
    settings.CSV_IMPORT_MAX_BYTES = 100
    body = "source,text\n" + "support,some feedback\n" * 10

    response = post_csv(integration, EVIDENCE, body)

    assert response.status_code == 413
    assert "CSV_IMPORT_MAX_BYTES" in problem(response)["detail"]
    assert not Evidence.objects.exists()


def test_an_upload_over_the_limit_is_a_413(integration, settings):
    settings.CSV_IMPORT_MAX_BYTES = 100
    upload = SimpleUploadedFile("big.csv", b"source,text\n" + b"support,x\n" * 20)

    response = integration.post(EVIDENCE, {"file": upload}, format="multipart")

    assert response.status_code == 413
    assert "at most 100 bytes (CSV_IMPORT_MAX_BYTES)" in problem(response)["detail"]


def test_initiatives_are_imported_by_product_only(product, marketing, integration):
    body = "external_id,title,effort\nP-1,Offline mode,2\n"

    assert post_csv(marketing, INITIATIVES, body).status_code == 403
    assert post_csv(integration, INITIATIVES, body).status_code == 403
    response = post_csv(product, INITIATIVES, body)

    assert response.status_code == 200
    assert Initiative.objects.get(external_id="P-1").effort == 2.0


def test_accounts_without_a_role_may_not_import(no_role, anon):
    assert post_csv(no_role, EVIDENCE, CSV).status_code == 403
    assert post_csv(anon, EVIDENCE, CSV).status_code == 401


def test_an_upload_spooled_to_disk_is_read_as_well(integration, settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10  # Django writes the upload to a temporary file
    body = "source,text,external_id\n" + "".join(f"support,item {n},d-{n}\n" for n in range(50))
    upload = SimpleUploadedFile("disk.csv", body.encode(), content_type="text/csv")

    response = integration.post(EVIDENCE, {"file": upload}, format="multipart")

    assert response.status_code == 200, response.content
    assert response.json()["created"] == 50


def test_a_text_csv_body_spooled_to_disk_is_read_as_well(integration, monkeypatch):
    from roadmap.api.views import imports as view

    monkeypatch.setattr(view, "SPOOL_BYTES", 10)  # the body rolls over to a temporary file
    body = "source,text,external_id\n" + "".join(f"support,item {n},s-{n}\n" for n in range(50))

    response = post_csv(integration, EVIDENCE, body)

    assert response.status_code == 200, response.content
    assert response.json()["created"] == 50
