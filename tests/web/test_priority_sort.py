"""Every column of the priority table sorts on the server, both ways, and keeps the filters."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from roadmap.views.priorities import COLUMNS
from tests.factories import AlignmentFactory, InitiativeFactory, KeyResultFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def table(rescore):
    growth, retention = ObjectiveFactory(title="Growth"), ObjectiveFactory(title="Retention")
    rows = {
        "bravo": InitiativeFactory(title="bravo", reach=300, impact=0.5, effort=8, team="Core"),
        "Alpha": InitiativeFactory(title="Alpha", reach=10, impact=3, effort=1, team="Core"),
        "charlie": InitiativeFactory(title="charlie", reach=50, impact=1, effort=2, team="Web"),
    }
    for objective in (growth, retention):
        AlignmentFactory(
            initiative=rows["charlie"], key_result=KeyResultFactory(objective=objective)
        )
    AlignmentFactory(initiative=rows["Alpha"], key_result=KeyResultFactory(objective=growth))
    rescore()
    return rows


def _titles(response) -> list[str]:
    body = response.content.decode()
    return re.findall(r'<th scope="row" class="title-cell">\s*<a href="[^"]+">([^<]+)</a>', body)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("title", ["Alpha", "bravo", "charlie"]),
        ("-title", ["charlie", "bravo", "Alpha"]),
        ("-reach", ["bravo", "charlie", "Alpha"]),
        ("reach", ["Alpha", "charlie", "bravo"]),
        ("-impact", ["Alpha", "charlie", "bravo"]),
        ("effort", ["Alpha", "charlie", "bravo"]),
        ("-effort", ["bravo", "charlie", "Alpha"]),
        ("-objectives", ["charlie", "Alpha", "bravo"]),
        ("objectives", ["bravo", "Alpha", "charlie"]),
    ],
)
def test_a_column_sorts_the_whole_table(product_client, table, sort, expected):
    response = product_client.get("/priorities/", {"sort": sort})
    assert _titles(response) == expected


def test_score_columns_sort_by_the_stored_scores(product_client, table):
    for sort, field in (("-rice", "rice_score"), ("-priority", "priority_score")):
        expected = [
            i.title for i in sorted(table.values(), key=lambda i: (-_fresh(i, field), -i.pk))
        ]
        assert _titles(product_client.get("/priorities/", {"sort": sort})) == expected


def _fresh(initiative, field):
    initiative.refresh_from_db()
    return getattr(initiative, field)


def test_rank_order_is_the_default_and_an_unknown_sort_falls_back_to_it(product_client, table):
    ranked = _titles(product_client.get("/priorities/"))
    assert ranked == _titles(product_client.get("/priorities/", {"sort": "rank"}))
    assert ranked == _titles(product_client.get("/priorities/", {"sort": "password"}))
    assert ranked[::-1] == _titles(product_client.get("/priorities/", {"sort": "-rank"}))


def test_the_sorted_header_says_so_and_links_to_the_other_direction(product_client, table):
    body = product_client.get("/priorities/", {"sort": "-reach", "team": "Core"}).content.decode()
    header = re.search(r'<th[^>]*aria-sort="descending"[^>]*>.*?</th>', body, re.S).group(0)
    assert "Reach" in header
    assert "team=Core&amp;sort=reach" in header
    assert body.count("aria-sort=") == 1
    # The filters apply under the sort, and the sort rides along with the filter form.
    assert _titles(product_client.get("/priorities/", {"sort": "-reach", "team": "Core"})) == [
        "bravo",
        "Alpha",
    ]
    assert 'name="sort" value="-reach" form="priority-filters"' in body


def test_every_column_has_a_sort_link(product_client, table):
    body = product_client.get("/priorities/").content.decode()
    for column in COLUMNS:
        assert f"sort=-{column.sort}" in body or f"sort={column.sort}" in body, column


def test_sorting_costs_no_more_queries_than_the_ranked_table(product_client, table):
    def count(sort):
        with CaptureQueriesContext(connection) as ctx:
            assert product_client.get("/priorities/", {"sort": sort}).status_code == 200
        return len(ctx)

    baseline = count("rank")
    for column in COLUMNS:
        assert count(f"-{column.sort}") <= baseline, column.sort
