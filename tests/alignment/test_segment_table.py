"""The segments tab: pick the segments, sort by evidence, revenue or customers, page."""

import pytest

from roadmap.models import SegmentCount
from roadmap.selectors_alignment import AlignmentFilters
from roadmap.selectors_alignment.segment_table import alignment_segment_table
from roadmap.services.segment_counts import segment_counts_refresh
from roadmap.views import alignment_page as views_alignment
from tests.factories import EvidenceFactory

pytestmark = pytest.mark.django_db

ALL = AlignmentFilters()
URL = "/alignment/"


def _table(user, **kwargs):
    segment_counts_refresh()
    return alignment_segment_table(viewer=user, filters=ALL, **kwargs)


def _rows(table):
    return [(r.title, r.evidence, r.customers, int(r.revenue)) for r in table.rows]


def test_every_segment_by_evidence(world, marketing_user):
    table = _table(marketing_user)
    # A: C1 x2, C2, C3, one without a customer; B: C3 x2, C4; C: C1, C5. E is shipped.
    assert _rows(table) == [("A", 5, 3, 170_000), ("B", 3, 2, 25_000), ("C", 2, 2, 107_000)]
    assert table.count == 3
    assert [c.name for c in table.picked] == ["Agency", "Enterprise", "Startup", "No segment"]


def test_sort_by_revenue_and_by_customers(world, marketing_user):
    assert [r[0] for r in _rows(_table(marketing_user, sort="revenue"))] == ["A", "C", "B"]
    assert [r[0] for r in _rows(_table(marketing_user, sort="customers"))] == ["A", "B", "C"]
    # An unknown sort is evidence.
    assert _table(marketing_user, sort="bogus").sort == "evidence"


def test_picked_segments_decide_the_columns_the_figures_and_the_order(world, marketing_user):
    enterprise = str(world.enterprise.pk)
    startup = str(world.startup.pk)
    table = _table(marketing_user, picked_keys={enterprise})
    assert [c.name for c in table.picked] == ["Enterprise"]
    assert _rows(table) == [("A", 3, 2, 150_000), ("C", 1, 1, 100_000)]
    assert [r.cells for r in table.rows] == [[3], [1]]
    table = _table(marketing_user, picked_keys={startup, "none"})
    # B: C3 x2 (Startup) + C4 (no segment); A: C3 + one item without a customer.
    assert _rows(table) == [("B", 3, 2, 25_000), ("A", 2, 1, 20_000)]
    assert [r.cells for r in table.rows] == [[2, 1], [1, 1]]
    by_revenue = _table(marketing_user, picked_keys={startup, "none"}, sort="revenue")
    assert [r[0] for r in _rows(by_revenue)] == ["B", "A"]


def test_the_table_pages(world, marketing_user):
    first = _table(marketing_user, offset=0, limit=2)
    second = _table(marketing_user, offset=2, limit=2)
    assert [r.title for r in first.rows] == ["A", "B"]
    assert [r.title for r in second.rows] == ["C"]
    assert first.count == second.count == 3


def test_coverage_comes_from_the_counts(world, marketing_user):
    coverage = {c.name: c for c in _table(marketing_user).coverage}
    enterprise = coverage["Enterprise"]
    # C1 x2 + C2 on A, C1 on C, C1 unlinked; A is planned (now), C is later.
    assert (enterprise.evidence, enterprise.unlinked, enterprise.on_planned) == (5, 1, 3)
    assert (enterprise.customers, enterprise.planned_initiatives) == (2, 1)
    assert coverage["Agency"].unanswered


def test_the_counts_are_what_the_page_says_until_recounted(client, world, marketing_user):
    client.force_login(marketing_user)
    response = client.get(URL, {"tab": "segments"})  # the first visit counts
    assert [r.evidence for r in response.context["segments"].rows] == [5, 3, 2]
    counted_at = response.context["segments"].counted_at
    assert counted_at is not None
    EvidenceFactory.create_batch(4, initiative=world.c, customer=None)
    assert [r.evidence for r in client.get(URL, {"tab": "segments"}).context["segments"].rows] == [
        5,
        3,
        2,
    ]
    segment_counts_refresh()
    rows = client.get(URL, {"tab": "segments"}).context["segments"].rows
    assert [(r.title, r.evidence) for r in rows] == [("C", 6), ("A", 5), ("B", 3)]
    # Every initiative with evidence is counted (E is shipped); the page shows the open ones.
    assert SegmentCount.objects.filter(kind="initiative").count() == 4


def test_the_page_keeps_picked_segments_and_sort_in_its_pager(
    client, world, marketing_user, monkeypatch
):
    monkeypatch.setattr(views_alignment, "HEAT_ROWS", 1)
    client.force_login(marketing_user)
    enterprise = str(world.enterprise.pk)
    response = client.get(
        URL, {"tab": "segments", "segment": [enterprise], "sort": "revenue", "page": 2}
    )
    assert [r.title for r in response.context["segments"].rows] == ["C"]
    html = response.content.decode()
    assert f'href="?tab=segments&amp;sort=revenue&amp;segment={enterprise}&amp;page=1"' in html
    assert f'name="segment" value="{enterprise}" checked' in html
    assert f'name="segment" value="{world.startup.pk}">' in html  # not picked
    assert '<option value="revenue" selected>' in html
