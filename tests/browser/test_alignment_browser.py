"""The Alignment page in a real Chromium: a marketing user reads, filters and downloads."""

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.alignment.world import build_world
from tests.browser.conftest import log_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(transactional_db):
    """The hand-worked alignment world of tests/alignment (objectives, initiatives A-G)."""
    return build_world()


def test_marketing_user_reads_filters_and_downloads_the_matrix(page, world, shoot):
    UserFactory(username="mia", groups=["marketing"])
    log_in(page, "mia")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Alignment").click()
    expect(page).to_have_url(re.compile(r"/alignment/$"))
    expect(page.get_by_role("heading", name="Alignment", level=1)).to_be_visible()
    matrix = page.locator("#matrix table")
    expect(matrix.locator("thead th.matrix-col")).to_have_text(["A", "B", "C", "F", "G"])
    expect(matrix.locator("tbody th.matrix-label")).to_have_count(8)
    expect(matrix.locator("tfoot")).to_contain_text("3.75")
    # The effort chart drew (Chart.js sizes its canvas when it renders).
    expect(page.locator("canvas[data-alignment-chart='effort']")).to_have_attribute(
        "height", re.compile(r"\d+")
    )
    shoot(page, "alignment")

    # Choosing a lane applies the filter (the form submits itself on change).
    page.get_by_label("Lane").select_option("now")
    expect(page).to_have_url(re.compile(r"lane=now"))
    expect(matrix.locator("thead th.matrix-col")).to_have_text(["A"])
    expect(page.locator("#unaligned tbody tr")).to_have_count(1)
    expect(page.locator("#unaligned tbody")).to_contain_text("D")

    with page.expect_download() as info:
        page.locator("#matrix").get_by_role("link", name=re.compile("CSV")).click()
    download = info.value
    assert download.suggested_filename == "alignment-matrix-now.csv"
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [
        "Type",
        "Objective",
        "Key result",
        "Period",
        "Progress",
        "A",
        "Total weight",
        "Links",
    ]
    assert rows[1] == ["Objective", "Grow", "", "2026-Q4", "0.6", "1.0", "1.0", "1"]
    assert rows[2] == ["Key result", "Grow", "KR1a", "2026-Q4", "0.5", "strong", "1.0", "1"]
    assert rows[-2] == ["Total weight", "", "", "", "", "1.25", "1.25", "2"]
    assert len(rows) == 1 + 8 + 2


def test_alignment_page_fits_a_phone_without_sideways_scrolling(page, world):
    UserFactory(username="mia", groups=["marketing"])
    log_in(page, "mia")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/alignment/")
    expect(page.locator("#matrix table")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
