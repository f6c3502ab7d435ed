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
    labels = matrix.locator("thead .matrix-col-label")
    expect(labels).to_have_text(["A", "B", "C", "F", "G"])
    expect(matrix.locator("thead .matrix-col-rank")).to_have_text(["#1", "#2", "#3", "#5", "#6"])
    expect(matrix.locator("tbody th.matrix-label")).to_have_count(8)
    expect(matrix.locator("tfoot")).to_contain_text("3.75")
    shoot(page, "alignment")

    # The effort tab draws its chart (Chart.js sizes its canvas when it renders).
    tabs = page.get_by_role("navigation", name="Alignment views")
    tabs.get_by_role("link", name="Effort").click()
    expect(page.locator("canvas[data-alignment-chart='effort']")).to_have_attribute(
        "height", re.compile(r"\d+")
    )

    # Choosing a lane applies the filter (the form submits itself on change) and
    # stays on the tab; the other tabs keep it.
    tabs.get_by_role("link", name="Unaligned work").click()
    page.get_by_label("Lane").select_option("now")
    expect(page).to_have_url(re.compile(r"tab=unaligned.*lane=now"))
    expect(page.locator("#unaligned tbody tr")).to_have_count(1)
    expect(page.locator("#unaligned tbody")).to_contain_text("D")
    tabs.get_by_role("link", name="Matrix").click()
    expect(labels).to_have_text(["A"])

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
    for tab, section in (
        ("matrix", "#matrix table"),
        ("unaligned", "#unaligned"),
        ("unserved", "#unserved"),
        ("effort", "#effort"),
        ("segments", "#segments table"),
    ):
        page.goto(f"/alignment/?tab={tab}")
        expect(page.locator(section)).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, tab


def test_matrix_pages_in_place_and_keeps_its_heads_in_view(page, world, monkeypatch, shoot):
    from roadmap.views import alignment_page

    monkeypatch.setattr(alignment_page, "MATRIX_COLUMNS", 2)
    UserFactory(username="mia", groups=["marketing"])
    log_in(page, "mia")
    page.goto("/alignment/")
    labels = page.locator("#matrix thead .matrix-col-label")
    expect(labels).to_have_text(["A", "B"])
    page.locator("#matrix").get_by_role("link", name="Next →").first.click()
    expect(labels).to_have_text(["C", "F"])
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(page.locator("#matrix")).to_contain_text("3\u20134 of 5 aligned initiatives")
    # Scrolled down inside its box, the matrix keeps its column heads at the top.
    page.set_viewport_size({"width": 1440, "height": 400})
    box = page.locator(".matrix-scroll")
    box.evaluate("el => el.scrollTop = el.scrollHeight")
    head = page.locator("#matrix thead th.matrix-col").first.bounding_box()
    frame = box.bounding_box()
    assert abs(head["y"] - frame["y"]) <= 2
    shoot(page, "alignment-matrix-page-2")


def test_marketing_picks_segments_and_sorts_by_revenue(page, world, shoot):
    UserFactory(username="mia", groups=["marketing"])
    log_in(page, "mia")
    page.goto("/alignment/?tab=segments")
    rows = page.locator("#segments tbody th a")
    expect(rows).to_have_text(["A", "B", "C"])
    picker = page.get_by_role("group", name="Segments")
    for name in ("Agency", "Startup", "No segment"):
        picker.get_by_label(name).uncheck()
    page.get_by_label("Sort by").select_option("revenue")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#segments thead th.heat-head")).to_have_text(["Enterprise"])
    expect(rows).to_have_text(["A", "C"])
    expect(page.locator("#segments tbody tr").first).to_contain_text("150,000")
    shoot(page, "alignment-segments")


def test_matrix_ranks_line_up_whatever_the_titles_length(page, world):
    """A short title does not pull its rank down below the others'."""
    from roadmap.models import Initiative

    Initiative.objects.filter(title="A").update(title="Single sign-on for every workspace")
    UserFactory(username="mia", groups=["marketing"])
    log_in(page, "mia")
    page.goto("/alignment/")
    ranks = page.locator("#matrix thead .matrix-col-rank")
    expect(ranks).to_have_count(5)
    tops = {round(ranks.nth(n).bounding_box()["y"]) for n in range(5)}
    assert len(tops) == 1, tops
