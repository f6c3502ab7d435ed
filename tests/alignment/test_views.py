"""The Alignment page: who may read it, what it shows, its filters and its query count."""

import pytest
from django.urls import reverse

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


def test_page_shows_every_section_with_the_hand_worked_figures(client, world, marketing_user):
    client.force_login(marketing_user)
    response = client.get(URL)
    ctx = response.context
    assert (ctx["matrix"].weight_total, ctx["matrix"].links) == (3.75, 7)
    assert [i.title for i in ctx["unaligned"].initiatives] == ["D"]
    assert ctx["unserved"].unserved_key_results == 1
    assert ctx["effort"].planned_person_months == 17.0
    assert [c.name for c in ctx["segments"].unanswered] == ["Agency"]
    assert ctx["objective_count"] == 3
    html = response.content.decode()
    for section in ("matrix", "unaligned", "unserved", "effort", "segments", "coverage"):
        assert f'id="{section}"' in html
        assert f'href="/alignment/export/{section}.csv"' in html
    assert 'id="effort-chart-data"' in html
    assert "<script>" not in html.replace('<script src="', "")  # no inline scripts


def test_effort_chart_data_is_percent_shares_with_an_unaligned_bar(client, world, marketing_user):
    client.force_login(marketing_user)
    chart = client.get(URL).context["effort_chart"]
    assert chart == {
        "labels": ["Grow", "Retain", "Expand", "Unaligned"],
        "effort_share": [30.6, 4.7, 35.3, 29.4],
        "weight_share": [50.0, 16.7, 33.3, None],
        "person_months": [5.2, 0.8, 6.0, 5.0],
    }


def test_heat_map_shades_cells_relative_to_the_busiest(client, world, marketing_user):
    client.force_login(marketing_user)
    heat_rows = client.get(URL).context["heat_rows"]
    row, cells = heat_rows[0]
    assert row.title == "A"
    # Busiest cell is 3: 3 -> 5, 1 -> ceil(5/3) = 2, 0 -> 0.
    assert cells == [(0, 0), (3, 5), (1, 2), (1, 2)]


def test_filters_narrow_every_section_and_links_keep_them(client, world, marketing_user):
    client.force_login(marketing_user)
    response = client.get(URL, {"period": Q4, "lane": "now", "team": "Core"})
    ctx = response.context
    assert ctx["filter_query"] == "period=2026-Q4&lane=now&team=Core"
    assert [c.title for c in ctx["matrix"].columns] == ["A"]
    assert [i.title for i in ctx["unaligned"].initiatives] == ["D"]
    assert ctx["effort"].planned_person_months == 9.0
    assert [i.title for i in ctx["segments"].initiatives] == ["A", "D"]
    assert (
        'href="/alignment/export/matrix.csv?period=2026-Q4&amp;lane=now&amp;team=Core"'
        in response.content.decode()
    )


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


# Session, user, groups, then the page's own reads: filter choices (2), matrix (6),
# unaligned (2), unserved (2), effort (3), segments (5).
PAGE_QUERIES = 25  # including the navigation's saved views


def test_page_reads_in_a_constant_number_of_queries_small(
    client, world, marketing_user, django_assert_num_queries
):
    client.force_login(marketing_user)
    with django_assert_num_queries(PAGE_QUERIES):
        assert client.get(URL).status_code == 200


def test_page_reads_in_the_same_number_of_queries_when_ten_times_larger(
    client, world, marketing_user, django_assert_num_queries
):
    _grow(world, 10)
    client.force_login(marketing_user)
    with django_assert_num_queries(PAGE_QUERIES):
        response = client.get(URL)
    assert len(response.context["matrix"].columns) == 45
    with django_assert_num_queries(PAGE_QUERIES):
        client.get(URL, {"period": Q4, "lane": "next", "team": "Core"})


def test_a_very_wide_matrix_shows_the_best_ranked_columns_and_says_so(
    client, world, marketing_user, monkeypatch
):
    monkeypatch.setattr(views_alignment, "MATRIX_COLUMNS", 2)
    monkeypatch.setattr(views_alignment, "HEAT_ROWS", 3)
    client.force_login(marketing_user)
    response = client.get(URL)
    assert [c.title for c in response.context["matrix_columns"]] == ["A", "B"]
    assert all(len(cells) == 2 for _, cells in response.context["matrix_rows"])
    assert [row.title for row, _ in response.context["heat_rows"]] == ["A", "B", "C"]
    html = response.content.decode()
    assert "Showing the 2 best-ranked of 5 aligned initiatives; row totals count them all." in html
    assert "Showing the 3 initiatives with the most evidence of 6; the CSV has them all." in html
