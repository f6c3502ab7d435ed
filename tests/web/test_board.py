"""The roadmap board: columns, card contents, moving cards, the timeline, query counts."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from roadmap.models import Initiative
from tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db


def _lane_html(html: str, lane: str) -> str:
    match = re.search(rf'data-lane="{lane}">(.*?)</section>', html, re.S)
    return match.group(1)


def test_board_shows_three_columns_with_cards_in_rank_order(product_client, small_roadmap):
    InitiativeFactory(title="Delta", reach=1000, lane="later")
    from roadmap import services

    services.initiatives_rescore_marked()
    html = product_client.get("/").content.decode()
    for label in ("Now", "Next", "Later"):
        assert f">{label}</h2>" in html
    later = _lane_html(html, "later")
    assert later.index("Delta") < later.index("Gamma")
    assert "Alpha" in _lane_html(html, "now")
    assert "Beta" in _lane_html(html, "next")


def test_card_shows_score_rank_rice_objectives_evidence_and_unaligned_flag(
    product_client, small_roadmap
):
    html = product_client.get("/roadmap/").content.decode()
    alpha = re.search(rf'id="card-{small_roadmap["alpha"].pk}".*?</article>', html, re.S)[0]
    assert ">#1<" in alpha
    assert 'title="Priority score">' in alpha
    assert "R 100" in alpha
    assert "I High" in alpha
    assert "C 80%" in alpha
    assert "E 1" in alpha
    assert "Grow revenue" in alpha
    assert "Unaligned" not in alpha
    assert "evidence items" in alpha
    beta = re.search(rf'id="card-{small_roadmap["beta"].pk}".*?</article>', html, re.S)[0]
    assert "Unaligned" in beta


def test_archived_initiatives_stay_off_the_board(product_client, small_roadmap):
    InitiativeFactory(title="Old thing", status="archived")
    html = product_client.get("/").content.decode()
    assert "Old thing" not in html
    # The count leaves it out too, and says so.
    assert "3 initiatives, ordered by priority; archived work is not on the board," in html


def test_moving_a_card_persists_and_redirects_back_without_htmx(product_client, small_roadmap):
    beta = small_roadmap["beta"]
    response = product_client.post(
        reverse("roadmap:initiative-move", args=[beta.pk]), {"lane": "now", "version": beta.version}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("roadmap:board")
    beta.refresh_from_db()
    assert beta.lane == "now"
    assert beta.version == 2


def test_moving_a_card_with_htmx_returns_the_redrawn_board(product_client, small_roadmap):
    beta = small_roadmap["beta"]
    response = product_client.post(
        reverse("roadmap:initiative-move", args=[beta.pk]),
        {"lane": "later", "version": beta.version},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<div id="board"')
    assert "Moved “Beta” to Later." in html
    assert "Beta" in _lane_html(html, "later")


def test_moving_a_stale_card_changes_nothing_and_says_so(product_client, small_roadmap):
    beta = small_roadmap["beta"]
    Initiative.objects.filter(pk=beta.pk).update(version=5)
    response = product_client.post(
        reverse("roadmap:initiative-move", args=[beta.pk]),
        {"lane": "now", "version": 1},
        headers={"HX-Request": "true"},
    )
    assert "“Beta” was changed by someone else" in response.content.decode()
    beta.refresh_from_db()
    assert beta.lane == "next"


def test_moving_to_an_unknown_lane_changes_nothing(product_client, small_roadmap):
    beta = small_roadmap["beta"]
    response = product_client.post(
        reverse("roadmap:initiative-move", args=[beta.pk]),
        {"lane": "someday"},
        headers={"HX-Request": "true"},
    )
    assert "That is not a lane on the board." in response.content.decode()
    beta.refresh_from_db()
    assert beta.lane == "next"


def test_every_card_has_a_keyboard_move_control(product_client, small_roadmap):
    html = product_client.get("/").content.decode()
    for initiative in ("alpha", "beta", "gamma"):
        pk = small_roadmap[initiative].pk
        assert f'<select id="move-{pk}" name="lane"' in html
        assert f'<label class="sr-only" for="move-{pk}">' in html


def _make_initiatives(count: int) -> None:
    Initiative.objects.bulk_create(
        Initiative(title=f"Bulk {n}", lane=("now", "next", "later")[n % 3], reach=n)
        for n in range(count)
    )


@pytest.mark.parametrize("path", ["/", "/priorities/", "/roadmap/timeline/"])
def test_big_pages_use_the_same_number_of_queries_for_5_and_500_initiatives(
    product_client, django_assert_num_queries, rescore, path, small_roadmap
):
    _make_initiatives(5)
    rescore()
    product_client.get(path)  # warm the session and permission caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert product_client.get(path).status_code == 200
    _make_initiatives(495)
    rescore()
    with django_assert_num_queries(len(small.captured_queries)):
        response = product_client.get(path)
    # The board shows the best 50 of each lane (the rest on "Show more"); the priority
    # table and the timeline show a page of them (their pages are tested in
    # test_priorities and test_timeline).
    html = response.content.decode()
    if path == "/":
        assert html.count('<article class="initiative-card') == 3 * 50
    else:
        assert html.count("Bulk ") >= 100


def test_a_long_lane_shows_its_best_ranked_cards_and_links_to_the_rest(
    product_client, small_roadmap, rescore, monkeypatch
):
    import importlib

    # The module, not the view of the same name that roadmap.views exports.
    monkeypatch.setattr(importlib.import_module("roadmap.views.board"), "LANE_CARDS", 2)
    for n in range(2):
        InitiativeFactory(title=f"Later {n}", reach=1000 - n, lane="later")
    rescore()
    html = product_client.get("/").content.decode()

    later = _lane_html(html, "later")
    assert "Later 0" in later
    assert "Later 1" in later
    assert "Gamma" not in later  # the third in the lane by rank
    assert "Show 1 more" in html
    assert "2 of 3 shown;" in html
    assert '<a href="/priorities/?lane=later">all ranked in Priorities</a>' in html
    assert 'aria-label="3 initiatives">3</span>' in html
    assert 'hx-get="/roadmap/lanes/later/?offset=2"' in html
    assert "/roadmap/lanes/now/" not in html  # a lane that fits shows no "Show more"
    assert "5 initiatives, ordered by priority" in html

    # "Show more" brings the next cards, under the same filters, and its own next step.
    more = product_client.get("/roadmap/lanes/later/?offset=2").content.decode()
    assert "Gamma" in more
    assert "Later 0" not in more
    assert 'id="lane-more-later" hx-swap-oob="true"></p>' in more  # nothing after it
    growth = product_client.get("/roadmap/lanes/later/?offset=0&team=Growth").content.decode()
    assert "Gamma" in growth
    assert "Later 0" not in growth  # no team


@pytest.mark.parametrize(
    "path",
    [
        "/roadmap/lanes/sideways/?offset=0",
        "/roadmap/lanes/later/?offset=-1",
        "/roadmap/lanes/later/?offset=x",
        "/roadmap/lanes/later/",
    ],
)
def test_show_more_refuses_a_lane_or_place_that_is_not_one(product_client, path):
    assert product_client.get(path).status_code == 400


def test_show_more_is_for_roadmap_readers_only(client):
    response = client.get("/roadmap/lanes/now/?offset=0")
    assert response.status_code == 302


def test_the_board_counts_its_cards_ranks_in_one_query(product_client, small_roadmap):
    """Every lane's cards get their ranks from one query, not one per lane."""
    with CaptureQueriesContext(connection) as queries:
        page = product_client.get("/roadmap/")
    assert page.status_code == 200
    assert sum("ROW_NUMBER()" in q["sql"] for q in queries.captured_queries) == 1
    cards = [card for column in page.context["columns"] for card in column["cards"]]
    assert sorted(card.rank for card in cards if card.rank) == list(
        range(1, len([c for c in cards if c.rank]) + 1)
    )
