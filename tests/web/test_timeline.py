"""The timeline page: bars by team or objective, filters, pages, capacity, saving a drag."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from roadmap import selectors_timeline
from roadmap.models import Initiative, TeamCapacity
from tests.factories import (
    AlignmentFactory,
    InitiativeFactory,
    KeyResultFactory,
    ObjectiveFactory,
)

pytestmark = pytest.mark.django_db

URL = "/roadmap/timeline/"
WINDOW = {"start": "2026-Q1"}  # 2026-Q1 .. 2027-Q2


@pytest.fixture
def plan(db):
    growth = ObjectiveFactory(title="Grow revenue")
    speed = ObjectiveFactory(title="Faster onboarding")
    sso = InitiativeFactory(
        title="SSO", team="Platform", effort=6, start_quarter="2026-Q2", end_quarter="2026-Q4"
    )
    audit = InitiativeFactory(
        title="Audit log", team="Platform", effort=4, start_quarter="2026-Q3", end_quarter="2026-Q3"
    )
    digest = InitiativeFactory(title="Digest", team="Growth", effort=2, lane="later")
    old = InitiativeFactory(
        title="Old work", team="Growth", start_quarter="2024-Q1", end_quarter="2024-Q2"
    )
    shelved = InitiativeFactory(
        title="Shelved",
        team="Platform",
        status="archived",
        start_quarter="2026-Q2",
        end_quarter="2026-Q2",
    )
    AlignmentFactory(initiative=sso, key_result=KeyResultFactory(objective=growth))
    AlignmentFactory(initiative=sso, key_result=KeyResultFactory(objective=speed))
    AlignmentFactory(initiative=digest, key_result=KeyResultFactory(objective=speed))
    TeamCapacity.objects.create(team="Platform", quarter="2026-Q3", person_months=5)
    TeamCapacity.objects.create(team="Platform", quarter="2026-Q4", person_months=5)
    return locals()


def _rows(response) -> list[tuple[str, list[str]]]:
    """(group label, [initiative titles]) as the page shows them."""
    return [(g.label, [r.title for r in g.rows]) for g in response.context["plan"].groups]


def test_bars_span_their_quarters_in_the_window(product_client, plan):
    html = product_client.get(URL, WINDOW).content.decode()
    sso = plan["sso"]
    assert f'data-pk="{sso.pk}" data-start="2026-Q2" data-end="2026-Q4"' in html
    # Empty Q1 cell, the bar over Q2..Q4 (three columns), then Q1 and Q2 of 2027.
    row = html[html.index(f'href="/initiatives/{sso.pk}/"') :]
    row = row[: row.index("</tr>")]
    assert row.count("<td></td>") == 3
    assert '<td colspan="3" class="plan-cell">' in row
    assert "2026-Q2 to 2026-Q4 · 2 pm/q" in row


def test_rows_by_team_hide_archived_and_work_outside_the_window(product_client, plan):
    response = product_client.get(URL, WINDOW)
    assert _rows(response) == [("Growth", ["Digest"]), ("Platform", ["SSO", "Audit log"])]
    assert response.context["plan"].outside == 1  # Old work, 2024
    assert "1 more planned outside them" in response.content.decode()


def test_rows_by_objective_show_an_initiative_under_each_objective_it_serves(product_client, plan):
    response = product_client.get(URL, {**WINDOW, "group": "objective"})
    assert _rows(response) == [
        ("Faster onboarding", ["SSO", "Digest"]),
        ("Grow revenue", ["SSO"]),
        ("No objective", ["Audit log"]),
    ]
    assert response.context["plan"].total == 4


def test_filter_by_objective_in_objective_rows_shows_that_objective_only(product_client, plan):
    objective = plan["growth"].pk
    response = product_client.get(URL, {**WINDOW, "group": "objective", "objective": objective})
    assert _rows(response) == [("Grow revenue", ["SSO"])]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"lane": "later"}, [("Growth", ["Digest"])]),
        ({"team": "Platform"}, [("Platform", ["SSO", "Audit log"])]),
        ({"status": "archived"}, [("Platform", ["Shelved"])]),
        ({"plan": "unscheduled"}, [("Growth", ["Digest"])]),
        ({"plan": "scheduled", "team": "Growth"}, []),
        ({"lane": "nowhere"}, [("Growth", ["Digest"]), ("Platform", ["SSO", "Audit log"])]),
    ],
)
def test_filters(product_client, plan, params, expected):
    assert _rows(product_client.get(URL, {**WINDOW, **params})) == expected


def test_capacity_is_set_against_effort_spread_over_the_span_and_over_is_marked(
    product_client, plan
):
    response = product_client.get(URL, WINDOW)
    capacity = dict(response.context["plan"].capacity)
    platform = capacity["Platform"]
    # SSO: 6 over three quarters = 2 each; Audit log: 4 in 2026-Q3.
    assert [load.planned for load in platform] == [0, 2, 6, 2, 0, 0]
    assert [load.capacity for load in platform] == [None, None, 5, 5, None, None]
    assert [load.shortfall for load in platform] == [0, 0, 1, 0, 0, 0]
    html = response.content.decode()
    assert '<td class="num load is-over">6 / 5<span class="load-over">over by 1</span></td>' in html


def test_capacity_sums_come_from_every_matching_initiative_not_only_the_page(
    product_client, plan, monkeypatch
):
    monkeypatch.setattr(selectors_timeline, "PAGE_ROWS", 1)
    response = product_client.get(URL, {**WINDOW, "team": "Platform"})
    assert _rows(response) == [("Platform", ["SSO"])]
    assert response.context["plan"].pages == 2
    platform = dict(response.context["plan"].capacity)["Platform"]
    assert platform[2].planned == 6  # Audit log, on page 2, counts too
    second = product_client.get(URL, {**WINDOW, "team": "Platform", "page": 2})
    assert [(g.label, g.continued) for g in second.context["plan"].groups] == [("Platform", True)]
    assert _rows(second) == [("Platform", ["Audit log"])]


def test_pages_walk_the_rows_in_group_order(product_client, monkeypatch):
    monkeypatch.setattr(selectors_timeline, "PAGE_ROWS", 2)
    for n, team in enumerate(["B", "A", "", "A", "B"]):
        InitiativeFactory(title=f"W{n}", team=team, reach=100 - n)
    from roadmap.services import initiatives_rescore_marked

    initiatives_rescore_marked()
    seen = []
    for page in (1, 2, 3):
        seen += _rows(product_client.get(URL, {**WINDOW, "page": page}))
    assert seen == [
        ("A", ["W1", "W3"]),
        ("B", ["W0", "W4"]),
        ("No team", ["W2"]),
    ]
    html = product_client.get(URL, {**WINDOW, "page": 2}).content.decode()
    assert "Page 2 of 3" in html
    assert 'href="?start=2026-Q1&amp;page=3"' in html
    assert 'href="?start=2026-Q1"' in html  # previous: page 1


def test_the_window_moves_a_quarter_at_a_time(product_client, plan):
    html = product_client.get(URL, {"start": "2026-Q4"}).content.decode()
    assert "2026-Q4 to 2028-Q1" in html
    assert 'href="?start=2026-Q3"' in html
    assert 'href="?start=2027-Q1"' in html


def test_a_bad_window_start_falls_back_to_the_current_quarter(product_client, plan):
    from okrs.periods import current_quarter

    for bad in ("2026-Q9", "0001-Q1", "junk"):
        response = product_client.get(URL, {"start": bad})
        assert response.status_code == 200
        assert response.context["plan"].quarters[0] == current_quarter()


def _count(client, params) -> int:
    client.get(URL, params)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(URL, params).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("group", ["team", "objective"])
def test_query_count_does_not_grow_with_the_roadmap(product_client, plan, group, monkeypatch):
    monkeypatch.setattr(selectors_timeline, "PAGE_ROWS", 20)
    params = {**WINDOW, "group": group}
    few = _count(product_client, params)
    kr = KeyResultFactory()
    made = Initiative.objects.bulk_create(
        Initiative(
            title=f"Bulk {n}",
            team=f"Team {n % 7}",
            start_quarter="2026-Q2",
            end_quarter="2026-Q3",
        )
        for n in range(60)
    )
    AlignmentFactory.create_batch(1, initiative=made[0], key_result=kr)
    assert _count(product_client, {**params, "page": 2}) == few
    assert _count(product_client, params) == few


# --- Saving a drag ------------------------------------------------------------------


def _schedule(client, initiative, start, end, version, **params):
    query = "&".join(f"{k}={v}" for k, v in {**WINDOW, **params}.items())
    return client.post(
        f"/initiatives/{initiative.pk}/schedule/?{query}",
        {"start_quarter": start, "end_quarter": end, "version": version},
        headers={"HX-Request": "true"},
    )


def test_a_drop_saves_and_redraws_the_timeline_with_its_filters(product_client, plan):
    response = _schedule(product_client, plan["sso"], "2026-Q3", "2027-Q1", 1, team="Platform")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<div id="timeline"')
    assert "Planned “SSO” for 2026-Q3 to 2027-Q1." in html
    assert _rows(response) == [("Platform", ["SSO", "Audit log"])]
    plan["sso"].refresh_from_db()
    assert (plan["sso"].start_quarter, plan["sso"].end_quarter) == ("2026-Q3", "2027-Q1")


def test_a_stale_drop_is_a_409_and_changes_nothing(product_client, plan):
    Initiative.objects.filter(pk=plan["sso"].pk).update(version=2)
    response = _schedule(product_client, plan["sso"], "2026-Q3", "2027-Q1", 1)
    assert response.status_code == 409
    assert "“SSO” was changed by someone else; the timeline now shows the current plan." in (
        response.content.decode()
    )
    plan["sso"].refresh_from_db()
    assert plan["sso"].start_quarter == "2026-Q2"


def test_a_stretch_past_eight_quarters_is_a_422_with_the_reason(product_client, plan):
    response = _schedule(product_client, plan["sso"], "2026-Q2", "2028-Q2", 1)
    assert response.status_code == 422
    assert "A plan spans at most 8 quarters (two years); split longer work." in (
        response.content.decode()
    )


def test_marketing_cannot_move_a_bar_and_sees_no_drag_handles(marketing_client, plan):
    assert _schedule(marketing_client, plan["sso"], "2026-Q3", "2026-Q4", 1).status_code == 403
    html = marketing_client.get(URL, WINDOW).content.decode()
    assert "data-plan-editable" not in html
    assert "plan-handle" not in html
    assert "Set capacity" not in html


def test_without_htmx_a_drop_redirects_back_to_the_same_view(product_client, plan):
    response = product_client.post(
        f"/initiatives/{plan['sso'].pk}/schedule/?start=2026-Q1&team=Platform",
        {"start_quarter": "2026-Q3", "end_quarter": "2026-Q3", "version": 1},
    )
    assert response.status_code == 302
    assert response["Location"] == "/roadmap/timeline/?start=2026-Q1&team=Platform"


# --- Capacity form ------------------------------------------------------------------


def test_capacity_form_saves_changed_cells_and_a_new_team(product_client, plan):
    form = product_client.get("/roadmap/timeline/capacity/", WINDOW).context["form"]
    teams = form.teams
    assert teams == ["Growth", "Platform"]
    data = {name: ("" if value is None else value) for name, value in form.initial.items()}
    platform = teams.index("Platform")
    data[f"c{platform}_2026-Q4"] = "7.5"  # changed
    data[f"c{platform}_2026-Q3"] = ""  # cleared
    data["new_team"] = "Data"
    data["c2_2027-Q1"] = "3"
    response = product_client.post("/roadmap/timeline/capacity/?start=2026-Q1", data)
    assert response.status_code == 302
    assert response["Location"] == "/roadmap/timeline/?start=2026-Q1"
    assert set(TeamCapacity.objects.values_list("team", "quarter", "person_months")) == {
        ("Platform", "2026-Q4", 7.5),
        ("Data", "2027-Q1", 3.0),
    }


def test_capacity_form_refuses_a_negative_value_and_a_nameless_team(product_client, plan):
    response = product_client.post(
        "/roadmap/timeline/capacity/?start=2026-Q1", {"c0_2026-Q1": "-2", "c2_2026-Q2": "4"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Ensure this value is greater than or equal to 0." in html
    assert "Name the team these person-months are for." in html
    assert TeamCapacity.objects.count() == 2


def test_capacity_page_is_for_product_only(marketing_client, plan):
    assert marketing_client.get("/roadmap/timeline/capacity/").status_code == 403


def test_the_team_filter_lists_every_team_while_one_is_chosen(product_client, plan):
    TeamCapacity.objects.create(team="Data", quarter="2026-Q2", person_months=3)
    html = product_client.get(URL, {**WINDOW, "team": "Growth"}).content.decode()
    select = html[html.index('name="team"') :]
    select = select[: select.index("</select>")]
    for team in ("Data", "Growth", "Platform"):
        assert f'<option value="{team}"' in select
    assert '<option value="Growth" selected>' in select
