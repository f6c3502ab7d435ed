"""CSV import in the browser: upload, map columns, preview, dry run, import."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from roadmap.models import Evidence, Initiative
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CSV = (
    "Ticket,Channel,Comment,When\n"
    "zd-1,support,Export to PDF please,2026-11-30\n"
    "zd-2,fax,SSO is a must,2026-11-29\n"
    "zd-3,nps,Love it,yesterday\n"
)


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "csv_imports": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


def upload(client, kind="evidence", text=CSV, name="tickets.csv"):
    response = client.post(
        f"/imports/{kind}/", {"file": SimpleUploadedFile(name, text.encode(), "text/csv")}
    )
    assert response.status_code == 302, response.content[:500]
    return response["Location"]


MAPPING = {
    "map_external_id": "Ticket",
    "map_source": "Channel",
    "map_text": "Comment",
    "map_received_at": "When",
}


def test_the_upload_page_lists_the_columns_of_the_format(marketing_client):
    page = marketing_client.get("/imports/evidence/").content.decode()

    assert "<code>customer_external_id</code>" in page
    assert 'enctype="multipart/form-data"' in page


def test_an_upload_leads_to_the_mapping_with_columns_named_as_fields_mapped(product_client):
    url = upload(product_client, text="source,Text,Whatever\nnps,Hi,x\n")

    page = product_client.get(url).content.decode()

    assert re.search(r'<option value="source" selected>source</option>', page)
    assert re.search(r'<option value="Text" selected>Text</option>', page)
    assert "Hi" in page  # the preview


def test_the_preview_shows_the_first_rows_as_read_with_each_cell_error(product_client):
    url = upload(product_client)

    page = product_client.post(url, {**MAPPING, "action": "preview"}).content.decode()

    assert "Export to PDF please" in page
    assert "“fax” is not one of" in page
    assert "“yesterday” is not a date" in page
    assert not Evidence.objects.exists()


def test_an_unmapped_required_field_is_named_and_nothing_runs(product_client):
    url = upload(product_client)

    page = product_client.post(url, {"map_source": "Channel", "action": "import"}).content.decode()

    assert "text: Required: map a column to it." in page
    assert not Evidence.objects.exists()


def test_a_dry_run_lists_every_bad_row_with_its_column_and_writes_nothing(product_client):
    url = upload(product_client)

    response = product_client.post(url, {**MAPPING, "action": "dry_run"})

    page = response.content.decode()
    report = page[page.index('id="import-errors"') :]
    assert re.search(r'<td class="num">3</td><td>Channel</td><td>“fax” is not one of', report)
    assert re.search(r'<td class="num">4</td><td>When</td><td>“yesterday” is not a date', report)
    assert "2 rows with 2 errors" in page
    assert not Evidence.objects.exists()


def test_an_import_with_bad_rows_writes_nothing(product_client):
    url = upload(product_client)

    page = product_client.post(url, {**MAPPING, "action": "import"}).content.decode()

    assert "Nothing was written" in page
    assert not Evidence.objects.exists()


def test_a_good_file_is_imported_and_the_upload_is_removed(product_client, upload_dir):
    url = upload(
        product_client, text=CSV.replace("fax", "sales").replace("yesterday", "2026-11-01")
    )
    dry = product_client.post(url, {**MAPPING, "action": "dry_run"}).content.decode()
    assert "3 would be created, 0 updated" in dry

    done = product_client.post(url, {**MAPPING, "action": "import"})

    assert "3 rows imported: 3 created, 0 updated" in done.content.decode()
    assert Evidence.objects.count() == 3
    assert not list((upload_dir / "uploads").iterdir())
    assert product_client.get(url)["Location"] == "/imports/evidence/?gone=1"


def test_initiatives_import_in_the_browser(product_client):
    url = upload(product_client, "initiatives", "Key,Summary,Effort\nP-1,Offline mode,3\n")

    product_client.post(
        url,
        {
            "map_external_id": "Key",
            "map_title": "Summary",
            "map_effort": "Effort",
            "action": "import",
        },
    )

    assert Initiative.objects.get(external_id="P-1").effort == 3.0


def test_a_file_over_the_limit_gets_a_clear_form_error(product_client, settings):
    settings.CSV_IMPORT_MAX_BYTES = 50

    response = product_client.post(
        "/imports/evidence/", {"file": SimpleUploadedFile("big.csv", b"source,text\n" * 10)}
    )

    assert response.status_code == 200
    assert (
        "The file is 120\xa0bytes; an import takes at most 50\xa0bytes."
        in response.content.decode()
    )


def test_a_file_that_is_not_utf8_is_refused_at_upload(product_client):
    latin = "source,text\nnps,caf\xe9\n".encode("latin-1")

    response = product_client.post(
        "/imports/evidence/", {"file": SimpleUploadedFile("latin.csv", latin)}
    )

    assert response.status_code == 200
    assert "The file is not UTF-8 text" in response.content.decode()


def test_marketing_imports_evidence_not_initiatives(marketing_client):
    assert marketing_client.get("/imports/evidence/").status_code == 200
    assert marketing_client.get("/imports/initiatives/").status_code == 403
    assert marketing_client.get("/imports/nope/").status_code == 404


def test_an_account_without_a_role_imports_nothing(roleless_client):
    assert roleless_client.get("/imports/evidence/").status_code == 403


def test_an_upload_is_reachable_only_from_the_session_that_made_it(product_client, client):
    url = upload(product_client)
    client.logout()
    client.force_login(UserFactory(username="other", groups=["product"]))

    response = client.get(url, follow=True)
    assert "That upload is no longer here" in response.content.decode()
