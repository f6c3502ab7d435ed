"""CSV import in a real Chromium: upload → map → preview → dry run → fix → import; export."""

import pytest
from playwright.sync_api import expect

from roadmap.models import Evidence
from tests.browser.conftest import log_in
from tests.factories import InitiativeFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TICKETS = (
    "Ticket,Channel,Comment,When,Client\n"
    "zd-1,support,Export to PDF please,2026-11-30,acme\n"
    "zd-2,fax,SSO is a must,2026-11-29,globex\n"
    'zd-3,Support ticket,"Slow, very slow",yesterday,acme\n'
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


@pytest.fixture
def pat(db):
    return UserFactory(username="pat", groups=["product"])


def _upload(page, name: str, text: str) -> None:
    page.goto("/evidence/")
    page.get_by_role("link", name="Import CSV").click()
    expect(page.get_by_role("heading", name="Import evidence")).to_be_visible()
    page.get_by_label("CSV file").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": text.encode()}
    )
    page.get_by_role("button", name="Upload and map columns").click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()


def test_upload_map_preview_dry_run_and_import(page, pat, shoot):
    log_in(page, "pat")
    _upload(page, "tickets.csv", TICKETS)

    # Nothing in the header is named as a field: the required ones are asked for.
    expect(page.get_by_role("alert")).to_contain_text("source: Required: map a column to it.")
    page.get_by_label("External id", exact=True).select_option("Ticket")
    page.get_by_label("Source *").select_option("Channel")
    page.get_by_label("Text *").select_option("Comment")
    page.get_by_label("Received at", exact=True).select_option("When")
    page.get_by_label("Customer external id", exact=True).select_option("Client")
    page.get_by_role("button", name="Preview").click()

    preview = page.locator("#import-preview")
    expect(preview).to_contain_text("Export to PDF please")
    expect(preview).to_contain_text("Slow, very slow")
    expect(preview).to_contain_text("“fax” is not one of")
    expect(preview).to_contain_text("“yesterday” is not a date")
    # The choices made are kept.
    expect(page.get_by_label("Source *")).to_have_value("Channel")

    page.get_by_role("button", name="Dry run").click()
    errors = page.locator("#import-errors")
    expect(errors.locator("tbody tr")).to_have_count(2)
    expect(errors.locator("tbody tr").nth(0)).to_contain_text("3")
    expect(errors.locator("tbody tr").nth(0)).to_contain_text("Channel")
    expect(errors.locator("tbody tr").nth(1)).to_contain_text("When")
    shoot(page, "csv-import-dry-run-errors")
    assert not Evidence.objects.exists()

    page.get_by_role("button", name="Import").click()
    expect(page.locator("#import-report")).to_contain_text("Nothing was written")
    assert not Evidence.objects.exists()

    # The fixed file, uploaded again: named columns map themselves this time.
    fixed = (
        TICKETS.replace(
            "Ticket,Channel,Comment,When,Client",
            "external_id,source,text,received_at,customer_external_id",
        )
        .replace("fax", "sales")
        .replace("yesterday", "2026-11-28")
    )
    page.get_by_role("link", name="Upload another file").click()
    page.get_by_label("CSV file").set_input_files(
        {"name": "fixed.csv", "mimeType": "text/csv", "buffer": fixed.encode()}
    )
    page.get_by_role("button", name="Upload and map columns").click()
    expect(page.get_by_label("Source *")).to_have_value("source")
    page.get_by_role("button", name="Dry run").click()
    expect(page.locator("#import-report")).to_contain_text("3 would be created, 0 updated")
    page.get_by_role("button", name="Import").click()

    expect(page.locator("#import-done")).to_contain_text("3 rows imported: 3 created, 0 updated")
    shoot(page, "csv-import-done")
    assert set(Evidence.objects.values_list("external_id", flat=True)) == {"zd-1", "zd-2", "zd-3"}
    assert Evidence.objects.get(external_id="zd-3").text == "Slow, very slow"


def test_the_priorities_export_link_carries_the_filters(page, pat):
    InitiativeFactory(title="Now thing", lane="now")
    InitiativeFactory(title="Later thing", lane="later")
    log_in(page, "pat")
    page.goto("/priorities/?lane=now")

    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()

    text = open(download.value.path(), encoding="utf-8-sig").read()  # noqa: SIM115
    assert "Now thing" in text
    assert "Later thing" not in text
