"""The Alignment page: who may read it, what it shows, its filters and its query count."""

import pytest
from django.urls import reverse

from roadmap.services.segment_counts import segment_counts_refresh
from roadmap.views import alignment_page as views_alignment
from tests.alignment.conftest import Q4
from tests.factories import (
    AlignmentFactory,
    CustomerFactory,
    EvidenceFactory,
    InitiativeFactory,
    KeyResultFactory,
    ObjectiveFactory,
    SegmentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

URL = "/alignment/"


def test_the_alignment_route_is_the_alignment_page():
    assert reverse("roadmap:alignment") == URL
    assert reverse("roadmap:alignment-export", args=["matrix"]) == "/alignment/export/matrix.csv"


def test_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/alignment/"


@pytest.mark.parametrize("groups", [[], ["integration"]])
def test_account_without_product_or_marketing_role_gets_403(client, groups):
    client.force_login(UserFactory(username="outsider", groups=groups))
    assert client.get(URL).status_code == 403
    assert client.get("/alignment/export/matrix.csv").status_code == 403


@pytest.mark.parametrize("who", ["marketing", "product", "superuser"])
def test_marketing_product_and_superusers_read_the_page(client, world, who):
    if who == "superuser":
        user = UserFactory(username="root", is_superuser=True, is_staff=True)
    else:
        user = UserFactory(username=who, groups=[who])
    client.force_login(user)
    response = client.get(URL)
    assert response.status_code == 200
    assert b"Objectives \xc3\x97 initiatives" in response.content


def _tab(client, tab, **params):
    return client.get(URL, {"tab": tab, **params})


def test_each_tab_shows_its_section_with_the_hand_worked_figures(client, world, marketing_user):
    client.force_login(marketing_user)
    matrix = _tab(client, "matrix").context
    assert (matrix["matrix"].weight_total, matrix["matrix"].links) == (3.75, 7)
    assert matrix["objective_count"] == 3
    assert [i.title for i in _tab(client, "unaligned").context["unaligned"].initiatives] == ["D"]
    assert _tab(client, "unserved").context["unserved"].unserved_key_results == 1
    assert _tab(client, "effort").context["effort"].planned_person_months == 17.0
    assert [c.name for c in _tab(client, "segments").context["segments"].unanswered] == ["Agency"]
    for tab, sections in (
        ("matrix", ["matrix"]),
        ("unaligned", ["unaligned"]),
        ("unserved", ["unserved"]),
        ("effort", ["effort"]),
        ("segments", ["segments", "coverage"]),
    ):
        html = _tab(client, tab).content.decode()
        for section in sections:
            assert f'id="{section}"' in html
            assert f'href="/alignment/export/{section}.csv"' in html
        assert f'href="?tab={tab}" aria-current="page"' in html
        assert "<script>" not in html.replace('<script src="', "")  # no inline scripts
    assert 'id="effort-chart-data"' in _tab(client, "effort").content.decode()


def test_the_matrix_is_the_first_tab_and_an_unknown_tab_shows_it(client, world, marketing_user):
    client.force_login(marketing_user)
    for params in ({}, {"tab": "nonsense"}):
        response = client.get(URL, params)
        assert response.context["tab"] == "matrix"
        assert b'id="matrix"' in response.content
        assert b'id="unaligned"' not in response.content


def test_effort_chart_data_is_percent_shares_with_an_unaligned_bar(client, world, marketing_user):
    client.force_login(marketing_user)
    chart = _tab(client, "effort").context["effort_chart"]
    assert chart == {
        "labels": ["Grow", "Retain", "Expand", "Unaligned"],
        "effort_share": [30.6, 4.7, 35.3, 29.4],
        "weight_share": [50.0, 16.7, 33.3, None],
        "person_months": [5.2, 0.8, 6.0, 5.0],
    }


def test_heat_map_shades_cells_relative_to_the_busiest(client, world, marketing_user):
    client.force_login(marketing_user)
    heat_rows = _tab(client, "segments").context["heat_rows"]
    row, cells = heat_rows[0]
    assert row.title == "A"
    # Columns Agency, Enterprise, Startup, No segment. Busiest cell is 3: 3 -> 5,
    # 1 -> ceil(5/3) = 2, 0 -> 0.
    assert cells == [(0, 0), (3, 5), (1, 2), (1, 2)]


def test_filters_narrow_every_tab_and_links_keep_them(client, world, marketing_user):
    client.force_login(marketing_user)
    narrow = {"period": Q4, "lane": "now", "team": "Core"}
    response = _tab(client, "matrix", **narrow)
    assert response.context["filter_query"] == "period=2026-Q4&lane=now&team=Core"
    assert [c.title for c in response.context["matrix"].columns] == ["A"]
    html = response.content.decode()
    assert 'href="/alignment/export/matrix.csv?period=2026-Q4&amp;lane=now&amp;team=Core"' in html
    # The tabs keep the filters.
    assert 'href="?period=2026-Q4&amp;lane=now&amp;team=Core&amp;tab=effort"' in html
    unaligned = _tab(client, "unaligned", **narrow).context["unaligned"]
    assert [i.title for i in unaligned.initiatives] == ["D"]
    assert _tab(client, "effort", **narrow).context["effort"].planned_person_months == 9.0
    # D has no evidence: the segments tab lists the initiatives with some.
    assert [r.title for r in _tab(client, "segments", **narrow).context["segments"].rows] == ["A"]


def test_an_invalid_filter_is_reported_and_ignored(client, world, marketing_user):
    client.force_login(marketing_user)
    response = client.get(URL, {"lane": "someday", "team": "Core"})
    assert response.status_code == 200
    form = response.context["filter_form"]
    assert form.errors["lane"] == [
        "Select a valid choice. someday is not one of the available choices."
    ]
    assert response.context["filters"].lane == ""
    assert response.context["filters"].team == "Core"


def _grow(world, n: int) -> None:
    """Many more objectives, key results, initiatives, links, customers and evidence."""
    segment = SegmentFactory(name="Mid-market")
    for k in range(n):
        objective = ObjectiveFactory(title=f"Extra objective {k}", period=Q4)
        krs = KeyResultFactory.create_batch(3, objective=objective)
        for m in range(4):
            initiative = InitiativeFactory(
                title=f"Extra {k}-{m}", lane=["now", "next", "later"][m % 3], team="Core"
            )
            AlignmentFactory(initiative=initiative, key_result=krs[m % 3])
            AlignmentFactory(initiative=initiative, key_result=world.kr1a, contribution="weak")
            customer = CustomerFactory(segment=segment if m % 2 else None)
            EvidenceFactory.create_batch(3, initiative=initiative, customer=customer)
        InitiativeFactory(title=f"Unaligned extra {k}", lane="next")


# Session, user, groups, the navigation's saved views, filter choices (2), team labels,
# then the tab's own reads.
# Matrix: 5 (objectives, key results with totals, a page of columns with totals, the
# column count, the page's cells). Unaligned: 2. Unserved: 2. Effort: 3. Segments: when the
# counts were made, then (every segment picked) segments, count, page, initiatives,
# cells, coverage (2), when counted.
# Each tab that lists initiatives counts their ranks in one query.
TAB_QUERIES = {"matrix": 14, "unaligned": 10, "unserved": 10, "effort": 10, "segments": 17}


@pytest.mark.parametrize("tab", TAB_QUERIES)
def test_each_tab_reads_in_a_constant_number_of_queries(
    client, world, marketing_user, django_assert_num_queries, django_assert_max_num_queries, tab
):
    client.force_login(marketing_user)
    _tab(client, "segments")  # the first visit counts the segments' evidence
    with django_assert_num_queries(TAB_QUERIES[tab]):
        assert _tab(client, tab).status_code == 200
    _grow(world, 10)
    segment_counts_refresh()
    with django_assert_num_queries(TAB_QUERIES[tab]):
        response = _tab(client, tab)
    if tab == "matrix":
        assert response.context["matrix"].column_count == 45
    # At most: a view with no ranked initiative counts no ranks.
    with django_assert_max_num_queries(TAB_QUERIES[tab]):
        _tab(client, tab, period=Q4, lane="next", team="Core")


def test_the_matrix_pages_its_columns_best_ranked_first(
    client, world, marketing_user, monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr(views_alignment, "MATRIX_COLUMNS", 2)
    client.force_login(marketing_user)
    pages = []
    for page in (1, 2, 3):
        response = _tab(client, "matrix", page=page)
        ctx = response.context
        pages.append([c.title for c in ctx["matrix_columns"]])
        assert all(len(cells) == len(pages[-1]) for _, cells in ctx["matrix_rows"])
        # Totals count every aligned initiative, whatever the page.
        assert (ctx["matrix"].weight_total, ctx["matrix"].links) == (3.75, 7)
    assert pages == [["A", "B"], ["C", "F"], ["G"]]
    html = _tab(client, "matrix", page=2).content.decode()
    assert "3\u20134 of 5 aligned initiatives · page 2 of 3" in html
    assert 'href="?tab=matrix&amp;page=1"' in html
    assert 'href="?tab=matrix&amp;page=3"' in html
    # The objective row's cell on page 2 is the sum for C (KR1b weak = 0.25).
    grow_row = next(
        cells
        for row, cells in _tab(client, "matrix", page=2).context["matrix_rows"]
        if row.title == "Grow"
    )
    assert grow_row == [0.25, None]
    # A page past the end shows the last one; nonsense shows the first.
    assert [c.title for c in _tab(client, "matrix", page=99).context["matrix_columns"]] == ["G"]
    assert [c.title for c in _tab(client, "matrix", page="x").context["matrix_columns"]] == [
        "A",
        "B",
    ]


def test_the_unaligned_list_pages(client, world, marketing_user, monkeypatch):
    monkeypatch.setattr(views_alignment, "LIST_ROWS", 2)
    for k in range(3):
        InitiativeFactory(title=f"Loose {k}", lane="now", rank=10 + k)
    client.force_login(marketing_user)
    first = _tab(client, "unaligned").context["unaligned"]
    second = _tab(client, "unaligned", page=2).context["unaligned"]
    assert [i.title for i in first.initiatives] == ["D", "Loose 0"]
    assert [i.title for i in second.initiatives] == ["Loose 1", "Loose 2"]
    assert first.count == second.count == 4
