"""The priority table as CSV: from the page (its filters and order) and from the API."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token

from roadmap.models import Initiative
from tests.api.problems import fields, problem
from tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

PAGE = "/priorities/export.csv"
API = "/api/v1/priorities/export.csv"


def _rows(response) -> list[list[str]]:
    assert response.status_code == 200, getattr(response, "content", b"")[:300]
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="priorities-')
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))


def _by_title(rows) -> dict[str, dict[str, str]]:
    header = rows[0]
    return {row[1]: dict(zip(header, row, strict=True)) for row in rows[1:]}


def test_the_page_export_writes_every_row_with_its_scores(marketing_client, small_roadmap):
    rows = _rows(marketing_client.get(PAGE))

    assert rows[0][:3] == ["Rank", "Initiative", "Status"]
    assert [row[1] for row in rows[1:]] == ["Alpha", "Beta", "Gamma"]
    alpha = _by_title(rows)["Alpha"]
    assert alpha["Rank"] == "1"
    assert alpha["Objectives"] == "1"
    assert float(alpha["Priority"]) == pytest.approx(small_roadmap["alpha"].priority_score, 1e-3)
    assert _by_title(rows)["Beta"]["Objectives"] == "0"


def test_the_page_export_keeps_the_filters_and_the_order(product_client, small_roadmap):
    rows = _rows(product_client.get(PAGE, {"lane": "later", "team": "Growth"}))
    assert [row[1] for row in rows[1:]] == ["Gamma"]

    rows = _rows(product_client.get(PAGE, {"sort": "-title"}))
    assert [row[1] for row in rows[1:]] == ["Gamma", "Beta", "Alpha"]

    rows = _rows(product_client.get(PAGE, {"unaligned": "true"}))
    assert [row[1] for row in rows[1:]] == ["Beta", "Gamma"]


def test_the_page_links_the_export_with_its_current_filters(product_client, small_roadmap):
    page = product_client.get("/priorities/", {"lane": "now", "sort": "-title"})

    assert 'href="/priorities/export.csv?lane=now&amp;sort=-title"' in page.content.decode()


@pytest.mark.parametrize(
    "title", ['=HYPERLINK("http://x")', "+1 sign-ups", "-5% churn", "@SUM(A1)", "\tTabbed"]
)
def test_text_a_spreadsheet_would_run_gets_an_apostrophe(product_client, title):
    InitiativeFactory(title=title, team="=cmd|' /C calc'!A0")

    rows = _rows(product_client.get(PAGE))

    assert rows[1][1] == "'" + title
    assert rows[1][4] == "'=cmd|' /C calc'!A0"


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        _rows(client.get(url))
    return len(ctx.captured_queries)


def test_the_export_costs_the_same_queries_for_3_rows_as_for_60(product_client, small_roadmap):
    few = _queries(product_client, PAGE)
    Initiative.objects.bulk_create(
        [
            Initiative(title=f"More {n}", priority_score=-n, scored_at=timezone.now())
            for n in range(57)
        ]
    )

    assert _queries(product_client, PAGE) == few


def test_an_account_without_a_role_gets_no_export(roleless_client, small_roadmap):
    assert roleless_client.get(PAGE).status_code == 403


# --- the API ----------------------------------------------------------------------


@pytest.fixture
def api(client, marketing_user):
    token = Token.objects.get_or_create(user=marketing_user)[0]
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {token.key}"
    return client


def test_the_api_export_takes_the_list_filters_and_streams_csv(api, small_roadmap):
    rows = _rows(api.get(API, {"lane": "next"}, HTTP_ACCEPT="text/csv"))
    assert [row[1] for row in rows[1:]] == ["Beta"]

    rows = _rows(api.get(API, {"ordering": "-title"}))
    assert [row[1] for row in rows[1:]] == ["Gamma", "Beta", "Alpha"]


def test_the_api_export_refuses_a_bad_filter_in_json(api, small_roadmap):
    response = api.get(API, {"lane": "sideways"})

    assert "lane" in fields(response)
    assert problem(response, 400)["detail"].startswith("lane:")


def test_the_api_export_costs_the_same_queries_for_3_rows_as_for_60(api, small_roadmap):
    few = _queries(api, API)
    Initiative.objects.bulk_create(
        [
            Initiative(title=f"More {n}", priority_score=-n, scored_at=timezone.now())
            for n in range(57)
        ]
    )

    assert _queries(api, API) == few
