"""The OKR page: objective tree, graded progress bars, check-ins, trends."""

import re

import pytest
from django.urls import reverse

from okrs import services as okr_services
from tests.factories import (
    InitiativeFactory,
    KeyResultFactory,
    MetricFactory,
    MetricReadingFactory,
    ObjectiveFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def okr_tree(db):
    company = ObjectiveFactory(title="Win the market", weight=3)
    team = ObjectiveFactory(title="Faster onboarding", parent=company, team="Onboarding")
    metric = MetricFactory(key="nps", name="NPS")
    MetricReadingFactory(metric=metric, value=30)
    red = okr_services.key_result_create(
        actor=None, objective=company, title="Raise NPS", start=0, target=100, current=10
    )
    red.metric = metric
    red.save()
    yellow = okr_services.key_result_create(
        actor=None, objective=team, title="Half way", start=0, target=100, current=50
    )
    green = okr_services.key_result_create(
        actor=None, objective=team, title="Nearly", start=0, target=100, current=90
    )
    return {"company": company, "team": team, "red": red, "yellow": yellow, "green": green}


def test_objectives_render_as_a_tree_company_first(product_client, okr_tree):
    html = product_client.get(reverse("okrs:index")).content.decode()
    assert html.index("Win the market") < html.index("Faster onboarding")
    assert 'class="card objective depth-0"' in html
    assert 'class="card objective depth-1"' in html


def test_progress_bars_use_the_grading_bands(product_client, okr_tree):
    html = product_client.get(reverse("okrs:index")).content.decode()
    for name, grade, pct in [("red", "red", 10), ("yellow", "yellow", 50), ("green", "green", 90)]:
        kr = okr_tree[name]
        block = re.search(rf'<li class="kr grade-(\w+)" id="kr-{kr.pk}">.*?</li>', html, re.S)
        assert block.group(1) == grade
        assert f'aria-valuenow="{pct}"' in block.group(0)
        assert f'class="progress-bar progress-{pct}"' in block.group(0)


def test_a_key_results_chart_draws_readings_and_check_ins_on_one_time_axis(
    product_client, okr_tree
):
    """The tree asks for each chart as it scrolls into view; the chart has both series."""
    kr = okr_tree["red"]
    okr_services.check_in_create(
        actor=None, key_result=kr, value=31, confidence="at_risk", note="Q"
    )
    html = product_client.get(reverse("okrs:index")).content.decode()
    block = re.search(rf'<li class="kr grade-\w+" id="kr-{kr.pk}">.*?</li>', html, re.S).group(0)
    chart_url = reverse("okrs:key-result-chart", args=[kr.pk])
    assert f'hx-get="{chart_url}" hx-trigger="revealed"' in block
    assert "tchart-svg" not in block  # not drawn with the page
    chart = product_client.get(chart_url)
    assert chart.status_code == 200
    svg = chart.content.decode()
    assert "tchart-svg" in svg
    assert "Readings of nps" in svg
    assert "Check-ins" in svg
    assert "Target" in svg


def test_a_key_results_chart_is_for_goal_readers_only(client, okr_tree):
    chart_url = reverse("okrs:key-result-chart", args=[okr_tree["red"].pk])
    assert client.get(chart_url).status_code == 302  # to the login page
    client.force_login(UserFactory(groups=[]))
    assert client.get(chart_url).status_code == 403
    assert client.post(chart_url).status_code in (403, 405)


def test_the_tree_shows_each_key_results_last_check_in(product_client, okr_tree):
    kr = okr_tree["red"]
    for value in (10, 20, 31):
        okr_services.check_in_create(
            actor=None, key_result=kr, value=value, confidence="at_risk", note=f"v{value}"
        )
    html = product_client.get(reverse("okrs:index")).content.decode()
    block = re.search(rf'<li class="kr grade-\w+" id="kr-{kr.pk}">.*?</li>', html, re.S).group(0)
    assert "last check-in" in block
    other = re.search(
        rf'<li class="kr grade-\w+" id="kr-{okr_tree["yellow"].pk}">.*?</li>', html, re.S
    ).group(0)
    assert "last check-in" not in other


def test_period_filter(product_client, okr_tree):
    ObjectiveFactory(title="Old goal", period="2025-Q1")
    html = product_client.get(reverse("okrs:index") + "?period=2025-Q1").content.decode()
    assert "Old goal" in html
    assert "Win the market" not in html


@pytest.mark.django_db(transaction=True)
def test_check_in_updates_the_bar_and_reprioritises_aligned_initiatives(client, product_user):
    from roadmap import services
    from roadmap.models import Initiative
    from tests.factories import AlignmentFactory

    client.force_login(product_user)
    objective = ObjectiveFactory(title="Grow")
    kr = okr_services.key_result_create(
        actor=None, objective=objective, title="Revenue", start=0, target=100, current=0
    )
    initiative = InitiativeFactory(title="Upsell", reach=100)
    AlignmentFactory(initiative=initiative, key_result=kr, contribution="strong")
    services.initiatives_rescore_marked()
    before = Initiative.objects.get(pk=initiative.pk).priority_score

    response = client.post(
        reverse("okrs:check-in", args=[kr.pk]),
        {f"kr{kr.pk}-value": "80", f"kr{kr.pk}-confidence": "at_risk", f"kr{kr.pk}-note": "Q3"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert f'<li class="kr grade-green" id="kr-{kr.pk}">' in html
    assert 'aria-valuenow="80"' in html
    assert "At risk" in html
    assert "1 aligned initiative re-prioritised." in html
    assert f'id="objective-progress-{objective.pk}" hx-swap-oob="true"' in html
    kr.refresh_from_db()
    assert (kr.current, kr.confidence, kr.check_ins.get().note) == (80, "at_risk", "Q3")
    after = Initiative.objects.get(pk=initiative.pk).priority_score
    assert after < before  # the gap closed, so the work matters less


def test_invalid_check_in_shows_the_error_and_keeps_the_input(product_client, okr_tree):
    kr = okr_tree["yellow"]
    response = product_client.post(
        reverse("okrs:check-in", args=[kr.pk]),
        {f"kr{kr.pk}-value": "lots", f"kr{kr.pk}-confidence": "on_track"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert "Enter a number." in html
    assert 'value="lots"' in html
    kr.refresh_from_db()
    assert kr.check_ins.count() == 0


def test_okr_page_query_count_does_not_grow_with_key_results(
    product_client, django_assert_max_num_queries, okr_tree
):
    for n in range(30):
        KeyResultFactory(objective=okr_tree["team"], title=f"Extra {n}")
    with django_assert_max_num_queries(12):
        product_client.get(reverse("okrs:index"))
