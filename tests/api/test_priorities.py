import warnings

import pytest
from django.core.cache import CacheKeyWarning
from django.db import connection
from django.test.utils import CaptureQueriesContext

from roadmap import services
from roadmap.models import Initiative
from roadmap.services import initiatives_rescore_marked
from tests.api.problems import fields
from tests.factories import AlignmentFactory, InitiativeFactory, KeyResultFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/priorities/"


def _ranked(n):
    initiatives = [InitiativeFactory(reach=10 * (i + 1)) for i in range(n)]
    initiatives_rescore_marked()
    return initiatives


def test_priorities_are_ranked_with_breakdown_and_alignment_terms(product):
    low, high = InitiativeFactory(reach=10), InitiativeFactory(reach=100, effort=2)
    kr = KeyResultFactory(start=0, target=100, current=25, progress=0.25, objective__weight=2)
    AlignmentFactory(initiative=high, key_result=kr, contribution="strong")
    InitiativeFactory(status="shipped")  # not ranked
    initiatives_rescore_marked()

    rows = product.get(URL).json()["results"]

    assert [r["id"] for r in rows] == [high.pk, low.pk]
    top = rows[0]
    assert top["rank"] == 1
    assert top["rice_score"] == pytest.approx(100 * 1 * 0.8 / 2)
    assert top["alignment_score"] == pytest.approx(1.0 * 2 * (0.2 + 0.75))
    assert top["priority_score"] == pytest.approx(40 * (1 + 1.9))
    assert top["unaligned"] is False
    breakdown = top["breakdown"]
    assert breakdown["reach"] == {"value": 100.0, "source": "manual", "explanation": "set by hand"}
    assert breakdown["effort"] == {"value": 2.0, "unit": "person-months"}
    (term,) = breakdown["alignment"]["terms"]
    assert term["key_result_id"] == kr.pk
    assert term["contribution"] == "strong"
    assert term["gap"] == 0.75
    assert rows[1]["unaligned"] is True


def test_rank_change_shows_where_each_row_was_before_its_latest_move(
    product, django_capture_on_commit_callbacks
):
    first, second = _ranked(2)  # second has the larger reach, so it leads
    rows = {r["id"]: r for r in product.get(URL).json()["results"]}
    assert rows[second.pk]["rank"] == 1
    assert rows[second.pk]["previous_rank"] is None
    assert rows[second.pk]["rank_change"] is None

    Initiative.objects.filter(pk=first.pk).update(reach=1000, needs_rescore=True)
    with django_capture_on_commit_callbacks(execute=True):
        initiatives_rescore_marked()

    rows = {r["id"]: r for r in product.get(URL).json()["results"]}
    assert rows[first.pk]["rank"] == 1
    assert rows[first.pk]["previous_rank"] == 2
    assert rows[first.pk]["rank_change"] == 1
    assert rows[second.pk]["rank_change"] == -1
    assert rows[first.pk]["previous_priority_score"] == pytest.approx(10 * 0.8)


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), len(response.json()["results"])


def test_priorities_cost_the_same_number_of_queries_for_5_and_50_rows(
    product, django_capture_on_commit_callbacks
):
    _ranked(5)
    few, rows = _count_queries(product, URL)
    assert rows == 5

    with django_capture_on_commit_callbacks(execute=True):
        _ranked(45)
    many, rows = _count_queries(product, URL)
    assert rows == 50

    assert few == many


def test_priorities_query_count_is_constant(product, django_assert_num_queries):
    # token, user groups (role check), page (a cursor needs no count), its ranks
    _ranked(50)
    with django_assert_num_queries(4):
        product.get(URL)


def test_priorities_filter_and_order(product):
    a = InitiativeFactory(lane="now", reach=10)
    b = InitiativeFactory(lane="later", reach=20)
    initiatives_rescore_marked()

    assert [r["id"] for r in product.get(f"{URL}?lane=now").json()["results"]] == [a.pk]
    assert [r["id"] for r in product.get(f"{URL}?ordering=priority_score").json()["results"]] == [
        a.pk,
        b.pk,
    ]
    assert product.get(f"{URL}?lane=soon").status_code == 400


def test_priorities_are_read_only(product):
    assert product.post(URL, {}, format="json").status_code == 405


def test_initiative_list_query_count_does_not_grow_with_rows(product):
    _ranked(5)
    few, _ = _count_queries(product, "/api/v1/initiatives/")
    _ranked(45)
    many, _ = _count_queries(product, "/api/v1/initiatives/")
    assert few == many


def _all_pages(client, url, params=None) -> list[dict]:
    rows, page = [], client.get(url, params).json()
    while True:
        rows += page["results"]
        if page["next"] is None:
            return rows
        page = client.get(page["next"]).json()


def test_the_list_holds_the_ranked_initiatives_with_and_without_filters(product):
    _ranked(3)
    InitiativeFactory(reach=5, lane="later")
    InitiativeFactory(status="shipped")  # never ranked, never listed
    initiatives_rescore_marked()

    assert len(_all_pages(product, URL)) == 4
    assert len(_all_pages(product, URL, {"lane": "later"})) == 1
    assert [r["rank"] for r in _all_pages(product, URL, {"page_size": 2})] == [1, 2, 3, 4]


def test_a_page_is_served_from_cache_until_a_write_changes_the_list(
    product, django_assert_num_queries, django_capture_on_commit_callbacks
):
    first, _ = _ranked(2)
    product.get(URL)
    with django_assert_num_queries(2):  # token and role: the page itself is cached
        cached = product.get(URL).json()

    with django_capture_on_commit_callbacks(execute=True):
        services.initiative_update(actor=None, initiative=first, data={"title": "Renamed"})
    fresh = product.get(URL).json()

    assert first.pk in {r["id"] for r in cached["results"]}
    assert "Renamed" not in {r["title"] for r in cached["results"]}
    assert "Renamed" in {r["title"] for r in fresh["results"]}


def test_a_long_url_is_cached_under_a_short_key(product, django_assert_num_queries):
    _ranked(2)
    params = {"search": "x" * 200, "ordering": "-priority_score"}
    with warnings.catch_warnings():
        # Memcached refuses keys over 250 characters; the locmem cache warns.
        warnings.simplefilter("error", CacheKeyWarning)
        product.get(URL, params)
        with django_assert_num_queries(2):  # token and role: the page itself is cached
            assert product.get(URL, params).status_code == 200


@pytest.mark.parametrize("query", ["?page_size=1&page_size=1", "?lane=now&lane=now"])
def test_parameters_the_list_ignores_are_answered_but_not_cached(product, query):
    _ranked(2)
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            response = product.get(URL + query)
        assert response.status_code == 200
        # Each answer ran the page's query: no cache entry per made-up URL.
        assert any("roadmap_initiative" in q["sql"] for q in queries.captured_queries)


def test_priorities_take_a_page_size_and_cache_each_size_apart(product):
    _ranked(3)
    two = product.get(URL, {"page_size": 2}).json()
    three = product.get(URL, {"page_size": 3}).json()

    assert [len(two["results"]), len(three["results"])] == [2, 3]
    assert three["next"] is None
    assert product.get(two["next"]).json()["results"][0]["rank"] == 3


@pytest.mark.parametrize("size", ["abc", "0", "-5", "2.5", "1e3", ""])
def test_a_page_size_that_is_not_a_whole_number_from_1_is_a_400(product, size):
    response = product.get(URL, {"page_size": size})
    assert response.status_code == 400
    assert fields(response) == {"page_size": ["Send page_size as a whole number from 1 to 200."]}


def test_a_page_size_over_200_is_cut_to_200(product):
    InitiativeFactory.create_batch(3)
    assert product.get(URL, {"page_size": 5000}).status_code == 200


@pytest.mark.parametrize("url", [URL, "/api/v1/initiatives/"])
def test_ordering_by_rank_pages_through_every_rank_either_way(product, url):
    """?ordering=rank sorts by the rank's stored key: a cursor pages through it both ways."""
    ranked = [InitiativeFactory(reach=r) for r in (10, 50, 30, 40, 20)]
    initiatives_rescore_marked()
    best_first = [i.pk for i in sorted(ranked, key=lambda i: -i.reach)]

    def walk(ordering):
        seen, page = [], f"{url}?ordering={ordering}&page_size=2"
        while page:
            body = product.get(page).json()
            seen += [(row["id"], row["rank"]) for row in body["results"]]
            page = body["next"]
        return seen

    assert walk("rank") == [(pk, n) for n, pk in enumerate(best_first, 1)]
    assert walk("-rank") == [(pk, n) for n, pk in reversed(list(enumerate(best_first, 1)))]
