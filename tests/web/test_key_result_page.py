"""A key result's page: readings and check-ins on one time axis, every check-in, newest first."""

from datetime import UTC, datetime, timedelta

import pytest

from okrs import services
from okrs.models import CheckIn, KeyResult
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def kr():
    metric = services.metric_create(actor=None, key="nps", name="NPS")
    company = services.objective_create(actor=None, title="Company goal", period="2026-Q4")
    team = services.objective_create(
        actor=None, title="Love", period="2026-Q4", team="Growth", parent=company
    )
    return services.key_result_create(
        actor=None, objective=team, title="NPS 30 to 50", metric=metric, start=30, target=50
    )


def _check_ins(kr, count, author=None):
    start = datetime(2026, 10, 1, 9, tzinfo=UTC)
    for day in range(count):
        services.check_in_create(
            actor=author,
            key_result=kr,
            value=30 + day,
            confidence="on_track",
            note=f"note {day}",
            checked_at=start + timedelta(days=day),
        )


def test_the_page_lists_check_ins_with_note_and_author_newest_first(marketing_client, kr):
    author = UserFactory(username="amara", first_name="Amara", last_name="Obi")
    _check_ins(kr, 3, author=author)
    html = marketing_client.get(f"/okrs/key-results/{kr.pk}/").content.decode()
    listed = html.split('id="check-ins"')[1]  # the list (the chart's tooltips hold every note)
    assert listed.index("note 2") < listed.index("note 1") < listed.index("note 0")
    assert "Amara Obi" in listed
    assert "data-team-label>Growth<" in html
    assert "Check in</button>" not in html  # marketing reads


def test_more_check_ins_load_twenty_at_a_time(marketing_client, kr, django_assert_max_num_queries):
    _check_ins(kr, 45)
    page = marketing_client.get(f"/okrs/key-results/{kr.pk}/").content.decode()
    page = page.split('id="check-ins"')[1]  # the list (the chart's tooltips hold every note)
    assert "note 44" in page
    assert "note 25" in page
    assert "note 24" not in page
    assert "Show older check-ins" in page
    first = CheckIn.objects.get(note="note 25")
    cursor = f"{first.checked_at.astimezone(UTC):%Y-%m-%dT%H:%M:%S.%f}Z_{first.pk}"
    with django_assert_max_num_queries(8):
        more = marketing_client.get(
            f"/okrs/key-results/{kr.pk}/check-ins/", {"before": cursor}, HTTP_HX_REQUEST="true"
        ).content.decode()
    assert "note 24" in more
    assert "note 5" in more
    assert "note 4" not in more
    assert "note 25" not in more


def test_a_bad_cursor_is_a_404(marketing_client, kr):
    answer = marketing_client.get(f"/okrs/key-results/{kr.pk}/check-ins/", {"before": "x_1"})
    assert answer.status_code == 404


def test_the_chart_draws_readings_and_check_ins_on_one_time_axis(marketing_client, kr):
    services.metric_readings_ingest(
        actor=None,
        metric=kr.metric,
        items=[{"value": 33, "observed_at": "2026-10-02T00:00:00Z", "source": "delighted"}],
    )
    _check_ins(kr, 2)
    html = marketing_client.get(f"/okrs/key-results/{kr.pk}/").content.decode()
    assert "Readings of nps" in html
    assert "Check-ins" in html
    assert "tchart-svg" in html


def test_product_checks_in_from_the_page(product_client, kr):
    answer = product_client.post(
        f"/okrs/key-results/{kr.pk}/check-in/",
        {
            f"kr{kr.pk}-value": 41,
            f"kr{kr.pk}-confidence": "at_risk",
            f"kr{kr.pk}-note": "Q",
            "next": "key-result",
        },
    )
    assert answer.status_code == 302
    assert answer["Location"] == f"/okrs/key-results/{kr.pk}/"
    assert KeyResult.objects.get(pk=kr.pk).current == 41


def test_team_objectives_are_labelled_with_their_team_in_the_tree(marketing_client, kr):
    services.objective_create(
        actor=None, title="Top-level team goal", period="2026-Q4", team="Platform"
    )
    html = marketing_client.get("/okrs/").content.decode()
    assert "Platform · 2026-Q4" in html
    assert "Growth · 2026-Q4" in html
    assert "Company · 2026-Q4" in html
    assert "rolls up 1 team objective" in html


def test_the_objective_page_links_each_key_result_and_its_full_history(marketing_client, kr):
    _check_ins(kr, 7)
    html = marketing_client.get(f"/okrs/objectives/{kr.objective_id}/").content.decode()
    assert f'href="/okrs/key-results/{kr.pk}/"' in html
    assert "note 6" in html  # notes are shown, not only in a tooltip
    assert "Every check-in, with its note" in html


def test_the_page_shows_each_check_in_once(marketing_client, kr):
    _check_ins(kr, 3)
    html = marketing_client.get(f"/okrs/key-results/{kr.pk}/").content.decode()
    assert html.count('<li class="check-in"') == 3  # the full list, with note and author
    assert "Recent check-ins of" not in html  # not a table of the latest above it too
    assert "check-in-note-inline" not in html


def test_cancelling_an_edit_on_the_page_puts_back_the_item_without_its_recent_table(
    product_client, kr
):
    _check_ins(kr, 2)
    page = f"http://testserver/okrs/key-results/{kr.pk}/"
    on_page = product_client.get(
        f"/okrs/key-results/{kr.pk}/", headers={"HX-Request": "true", "HX-Current-URL": page}
    ).content.decode()
    assert "Recent check-ins of" not in on_page
    on_objective = product_client.get(
        f"/okrs/key-results/{kr.pk}/",
        headers={
            "HX-Request": "true",
            "HX-Current-URL": f"http://testserver/okrs/objectives/{kr.objective_id}/",
        },
    ).content.decode()
    assert "Recent check-ins of" in on_objective  # the objective page keeps its summary


def test_the_objective_page_styles_its_check_in_notes_and_history(marketing_client, kr):
    # goals.css sets a check-in's note on its own line and keeps the history's tables
    # inside the card (without it the page scrolled sideways at 390 px).
    html = marketing_client.get(f"/okrs/objectives/{kr.objective_id}/").content.decode()
    assert "css/goals" in html
