"""The board filters by team, objective and status; shipped work leaves the lanes."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import AlignmentFactory, InitiativeFactory, KeyResultFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db

LONG_OBJECTIVE = "Win the mid-market segment in EMEA with self-serve onboarding by Q3"


@pytest.fixture
def board(rescore):
    growth = ObjectiveFactory(title=LONG_OBJECTIVE)
    kr = KeyResultFactory(objective=growth)
    rows = {
        "core-now": InitiativeFactory(title="Core now", lane="now", team="Core"),
        "web-now": InitiativeFactory(title="Web now", lane="now", team="Web", status="in_progress"),
        "core-next": InitiativeFactory(title="Core next", lane="next", team="Core"),
        "shipped": InitiativeFactory(
            title="Shipped SSO", lane="now", team="Core", status="shipped"
        ),
    }
    AlignmentFactory(initiative=rows["web-now"], key_result=kr)
    rescore()
    return {"objective": growth, **rows}


def _lane_titles(html: str, lane: str) -> list[str]:
    section = re.search(rf'<section class="lane lane-{lane}".*?</section>', html, re.S).group(0)
    return re.findall(r'<h3 class="card-title"[^>]*><a [^>]*>([^<]+)</a>', section)


def test_shipped_work_leaves_now_for_the_recently_shipped_strip_by_default(product_client, board):
    html = product_client.get("/").content.decode()
    assert "Shipped SSO" not in _lane_titles(html, "now")
    strip = re.search(r'<section class="shipped-strip".*?</section>', html, re.S).group(0)
    assert "Shipped SSO" in strip
    assert "lane-done" not in html


def test_shipped_work_can_have_a_done_column_or_be_hidden(product_client, board):
    html = product_client.get("/", {"shipped": "lane"}).content.decode()
    assert _lane_titles(html, "done") == ["Shipped SSO"]
    assert "Shipped SSO" not in _lane_titles(html, "now")
    assert 'class="done-list"' in html  # not a drop target: shipping is a status, not a lane
    hidden = product_client.get("/", {"shipped": "hide"}).content.decode()
    assert "Shipped SSO" not in hidden


@pytest.mark.parametrize(
    ("params", "now", "next_"),
    [
        ({"team": "Core"}, ["Core now"], ["Core next"]),
        ({"team": "Web"}, ["Web now"], []),
        ({"status": "in_progress"}, ["Web now"], []),
        ({"team": "Core", "status": "planned"}, ["Core now"], ["Core next"]),
    ],
)
def test_filters_narrow_every_lane(product_client, board, params, now, next_):
    html = product_client.get("/", params).content.decode()
    assert _lane_titles(html, "now") == now
    assert _lane_titles(html, "next") == next_


def test_objective_filter_and_full_objective_titles_on_cards(product_client, board):
    html = product_client.get("/", {"objective": board["objective"].pk}).content.decode()
    assert _lane_titles(html, "now") == ["Web now"]
    assert _lane_titles(html, "next") == []
    assert f'<li class="chip chip-objective">{LONG_OBJECTIVE}</li>' in html


def test_a_bad_filter_is_dropped_and_the_others_still_apply(product_client, board):
    html = product_client.get("/", {"team": "Core", "objective": "999999", "shipped": "x"})
    html = html.content.decode()
    assert _lane_titles(html, "now") == ["Core now"]
    assert "shipped-strip" in html


def test_moving_a_card_redraws_the_board_with_its_filters(product_client, board):
    card = board["core-now"]
    response = product_client.post(
        f"/initiatives/{card.pk}/move/",
        {"lane": "later", "version": card.version, "team": "Core"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert _lane_titles(html, "later") == ["Core now"]
    assert "Web now" not in html


def test_the_board_reads_in_the_same_queries_whatever_the_filters(product_client, board):
    def count(params):
        with CaptureQueriesContext(connection) as ctx:
            assert product_client.get("/", params).status_code == 200
        return len(ctx)

    baseline = count({})
    for n in range(20):
        InitiativeFactory(title=f"More {n}", lane="later", team="Core", status="shipped")
    assert count({}) == baseline
    assert count({"team": "Core", "shipped": "lane"}) <= baseline


def test_work_serving_an_objective_twice_counts_once_in_its_lane_and_the_table(
    product_client, board
):
    second = KeyResultFactory(objective=board["objective"])
    AlignmentFactory(initiative=board["web-now"], key_result=second)
    response = product_client.get("/", {"objective": board["objective"].pk})
    now = next(c for c in response.context["columns"] if c["lane"] == "now")
    assert [card.title for card in now["cards"]] == ["Web now"]
    assert now["count"] == 1
    assert response.context["total"] == 1
    table = product_client.get("/priorities/", {"objective": board["objective"].pk})
    assert [row.title for row in table.context["rows"]] == ["Web now"]
    assert (table.context["total"], table.context["ranked"]) == (1, 1)


def test_the_team_filter_lists_each_team_once_in_order(product_client, board):
    InitiativeFactory(title="No team", team="")
    InitiativeFactory(title="Another core", team="Core")
    form = product_client.get("/").context["filter_form"]
    assert [value for value, _ in form.fields["team"].choices if value] == ["Core", "Web"]
