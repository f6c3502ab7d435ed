"""The bench's pages phase: every page listed against its target, the bare page as baseline."""

from bench import dataset, measure
from bench.report import table


def test_scale_multiplies_the_initiatives_customers_and_evidence_only():
    sizes = dataset.scaled(10)
    assert (sizes["initiatives"], sizes["customers"], sizes["evidence"]) == (
        100_000,
        500_000,
        10_000_000,
    )
    assert sizes["segments"] == dataset.SIZES["segments"]
    assert sizes["key_results"] == dataset.SIZES["key_results"]


def test_every_page_of_the_issue_is_measured_with_the_bare_page():
    pages = measure.pages(dataset.scaled(1))
    paths = set(pages.values())
    assert measure.BARE_PAGE in paths
    for tab in measure.ALIGNMENT_TABS:
        assert f"/alignment/?tab={tab}" in paths
    # The last initiative is the one with exactly BIG_INITIATIVE evidence items.
    assert pages["initiative with 5,000 evidence items"] == "/initiatives/10000/"
    assert {"/roadmap/", "/priorities/", "/roadmap/timeline/", "/evidence/", "/okrs/"} <= paths
    assert {"/okrs/objectives/1/", "/okrs/metrics/dau/", "/activity/"} <= paths


def _page(ms: float, path: str, met: bool, queries: int = 9, size: int = 50_000) -> dict:
    seconds = ms / 1000
    return {
        "seconds": {"median": seconds, "min": seconds, "max": seconds, "runs": [seconds]},
        "queries": queries,
        "bytes": size,
        "path": path,
        "met": met,
    }


def test_the_table_shows_each_page_against_its_target_and_the_bare_page():
    results = {
        "sizes": dataset.scaled(1),
        "pages": {
            "bare": _page(12, measure.BARE_PAGE, True, queries=5, size=8_000),
            "board": _page(180, "/roadmap/", True),
            "OKRs": _page(450, "/okrs/", False, size=720_000),
        },
    }
    lines = table(results).splitlines()
    board = next(line for line in lines if "`/roadmap/`" in line)
    okrs = next(line for line in lines if "`/okrs/`" in line)
    assert "180 (180-180) ms, 0.05 MB, 9 queries" in board
    assert "bare page 12 (12-12) ms, 5 queries, 0.01 MB" in board
    assert board.endswith("| yes |")
    assert okrs.endswith("| **no** |")
    assert not any("`/bench/bare-page/`" in line for line in lines)
