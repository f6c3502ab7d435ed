"""Malformed input gets a 400 that says what was wrong, never a 500.

Each of these was a 500 (some only on PostgreSQL, which cannot store NUL): JSON
nested 1,000 deep, a 400-digit integer, NUL in a URL, a query or a JSON string,
a search of thousands of words. The suite runs on SQLite and, in CI, PostgreSQL.
"""

import io
import json

import pytest
from django.test import Client
from rest_framework.exceptions import ParseError

from api.parsers import MAX_DEPTH, JSONParser
from okrs.models import KeyResult, Metric
from roadmap.models import Evidence, Initiative
from tests.api.problems import fields, problem
from tests.factories import (
    CustomerFactory,
    InitiativeFactory,
    ObjectiveFactory,
    SegmentFactory,
)
from tests.security.conftest import api_client_for

pytestmark = pytest.mark.django_db

NUL_IN_QUERY = "The query string contains a NUL character."
NUL_IN_JSON = "A string in the JSON contains the NUL character (\\u0000)."


@pytest.fixture
def api(product_user):
    client = api_client_for(product_user)
    client.raise_request_exception = False
    return client


@pytest.fixture
def page(product_user):
    client = Client(raise_request_exception=False)
    client.force_login(product_user)
    return client


def _post_json(api, url, text):
    return api.post(url, text, content_type="application/json")


# --- JSON bodies ------------------------------------------------------------------


@pytest.mark.parametrize("body", ["[" * 1000 + "]" * 1000, '{"title": ' + "[" * 100_000 + "1"])
def test_json_nested_a_thousand_levels_deep_is_a_400(api, body):
    response = _post_json(api, "/api/v1/initiatives/", body)
    assert response.status_code == 400
    assert problem(response)["detail"] == "The JSON is nested more than 64 levels deep."
    assert not Initiative.objects.exists()


def test_the_parser_takes_64_levels_and_refuses_65():
    parser = JSONParser()
    deepest = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert parser.parse(io.BytesIO(deepest.encode())) == json.loads(deepest)
    too_deep = b'{"a": ' + b"[" * MAX_DEPTH + b"]" * MAX_DEPTH + b"}"
    with pytest.raises(ParseError, match="nested more than 64 levels"):
        parser.parse(io.BytesIO(too_deep))


@pytest.mark.parametrize(
    ("literal", "message"),
    [
        ("NaN", "NaN is not a JSON number."),
        ("Infinity", "Infinity is not a JSON number."),
        ("-Infinity", "-Infinity is not a JSON number."),
        ("1e400", "A number in the JSON is out of range: 1e400"),
        ("-1e400", "A number in the JSON is out of range: -1e400"),
        ("9" * 400, "A number in the JSON has more than 30 digits."),
        ("-" + "9" * 31, "A number in the JSON has more than 30 digits."),
    ],
)
def test_numbers_python_accepts_but_json_and_floats_do_not_are_a_400(api, literal, message):
    response = _post_json(api, "/api/v1/initiatives/", f'{{"title": "x", "impact": {literal}}}')
    assert response.status_code == 400
    assert problem(response)["detail"] == message
    assert not Initiative.objects.exists()


def test_an_integer_of_30_digits_still_parses():
    parsed = JSONParser().parse(io.BytesIO(b'{"reach": ' + b"9" * 30 + b"}"))
    assert parsed == {"reach": 10**30 - 1}


def test_nul_in_a_key_results_metric_is_a_400_and_writes_nothing(api):
    objective = ObjectiveFactory()
    body = (
        f'{{"objective": {objective.pk}, "title": "k", "metric": "nps\\u0000",'
        ' "kind": "increase", "start": 0, "target": 10}'
    )
    response = _post_json(api, "/api/v1/key-results/", body)
    assert response.status_code == 400
    assert problem(response)["detail"] == NUL_IN_JSON
    assert not KeyResult.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        '{"title": "SSO\\u0000"}',
        '{"title": "SSO", "n\\u0000": 1}',
        '[{"source": "support", "text": "fine"}, {"source": "support", "text": ["\\u0000"]}]',
    ],
)
def test_nul_anywhere_in_a_json_body_is_a_400(api, body):
    url = "/api/v1/evidence/" if body.startswith("[") else "/api/v1/initiatives/"
    response = _post_json(api, url, body)
    assert response.status_code == 400
    assert problem(response)["detail"] == NUL_IN_JSON
    assert not Initiative.objects.exists()
    assert not Evidence.objects.exists()


def test_every_api_write_uses_the_guarded_parser(api):
    # A view with its own parser_classes would skip the guard: try the readings
    # endpoint (its own action) and the alignment and segment resources.
    Metric.objects.create(key="nps", name="NPS")
    for url in ("/api/v1/metrics/nps/readings/", "/api/v1/alignments/", "/api/v1/segments/"):
        response = _post_json(api, url, '{"value": NaN}')
        assert (url, response.status_code, problem(response)["detail"]) == (
            url,
            400,
            "NaN is not a JSON number.",
        )


# --- URLs and query strings -------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/v1/metrics/%00/", "/api/v1/initiatives/1%00/"])
def test_nul_in_an_api_path_is_a_json_400(api, url):
    Metric.objects.create(key="nps", name="NPS")
    response = api.get(url)
    assert response.status_code == 400
    assert problem(response)["detail"] == "The URL path contains a NUL character."


def test_nul_in_a_page_path_is_a_plain_400(page):
    response = page.get("/initiatives/%00/")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == "The URL path contains a NUL character."


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/priorities/?search=%00",
        "/api/v1/initiatives/?search=a%00b",
        "/api/v1/initiatives/?team=%00",
        "/api/v1/objectives/?team=%00",
        "/api/v1/key-results/?metric=nps%00",
        "/api/v1/evidence/?ordering=%00",
    ],
)
def test_nul_in_an_api_query_is_a_json_400(api, url):
    response = api.get(url)
    assert response.status_code == 400
    assert problem(response)["detail"] == NUL_IN_QUERY


@pytest.mark.parametrize(
    "url", ["/priorities/?search=%00", "/priorities/?team=%00", "/evidence/?q=a%00", "/?x=\x00"]
)
def test_nul_in_a_page_query_is_a_plain_400(page, url):
    response = page.get(url)
    assert response.status_code == 400
    assert response.content.decode() == NUL_IN_QUERY


def test_an_overlong_query_string_is_a_400_on_the_api_and_on_pages(api, page):
    long_team = "team=" + "a" * 4_000
    response = api.get(f"/api/v1/initiatives/?{long_team}")
    assert response.status_code == 400
    assert problem(response)["detail"] == "The query string is over 4000 characters."
    response = page.get(f"/priorities/?{long_team}")
    assert response.status_code == 400
    assert response.content.decode() == "The query string is over 4000 characters."


@pytest.mark.parametrize(
    ("search", "error"),
    [
        ("a" * 201, "Ensure this field has no more than 200 characters."),
        (" ".join("abcdefghijk"), "Search for at most 10 words."),
        ("a," * 11, "Search for at most 10 words."),
    ],
)
@pytest.mark.parametrize("url", ["/api/v1/priorities/", "/api/v1/evidence/"])
def test_an_api_search_over_its_bounds_is_a_400_naming_the_parameter(api, url, search, error):
    response = api.get(url, {"search": search})
    assert response.status_code == 400
    assert fields(response) == {"search": [error]}


@pytest.mark.parametrize("url", ["/api/v1/priorities/", "/api/v1/initiatives/"])
def test_a_team_filter_longer_than_any_team_is_a_400(api, url):
    response = api.get(url, {"team": "t" * 101})
    assert response.status_code == 400
    assert fields(response) == {
        "team": ["Ensure this value has at most 100 characters (it has 101)."]
    }


def test_a_search_of_ten_words_still_finds(api):
    InitiativeFactory(title="a b c d e f g h i j")
    InitiativeFactory(title="other")
    response = api.get("/api/v1/initiatives/", {"search": "a b c d e f g h i j"})
    assert response.status_code == 200
    assert [row["title"] for row in response.json()["results"]] == ["a b c d e f g h i j"]


def test_the_schema_documents_the_bounds_and_that_no_string_may_hold_nul(api):
    schema = api.get("/api/schema/?format=json").json()
    parameters = {
        p["name"]: p["schema"] for p in schema["paths"]["/api/v1/priorities/"]["get"]["parameters"]
    }
    no_nul = "^[^\\u0000]*$"
    assert parameters["search"] == {"type": "string", "maxLength": 200, "pattern": no_nul}
    assert parameters["team"] == {"type": "string", "maxLength": 100, "pattern": no_nul}
    assert "pattern" not in parameters["status"]  # an enum says it all
    title = schema["components"]["schemas"]["InitiativeRequest"]["properties"]["title"]
    assert title["pattern"] == no_nul
    period = schema["components"]["schemas"]["ObjectiveRequest"]["properties"]["period"]
    assert period["pattern"] != no_nul  # a field's own pattern is kept
    # Answers are not requests: nothing is promised about them.
    assert "pattern" not in schema["components"]["schemas"]["Initiative"]["properties"]["title"]


def test_a_customer_filter_on_a_segment_that_does_not_exist_finds_none(api):
    CustomerFactory(segment=SegmentFactory())
    response = api.get("/api/v1/customers/", {"segment": 999_999})
    assert response.status_code == 200
    assert response.json()["results"] == []
    assert api.get("/api/v1/customers/", {"segment": 0}).status_code == 400


# --- Form bodies --------------------------------------------------------------------


@pytest.mark.parametrize("title", ["Idea\x00", "Idea%00"])
def test_nul_in_a_page_form_is_a_400_and_writes_nothing(page, title):
    body = f"title={title}&status=idea&lane=later&reach=1&impact=1.0&confidence=80&effort=1"
    response = page.post(
        "/initiatives/new/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert response.content.decode() == "The form contains a NUL character."
    assert not Initiative.objects.exists()


def test_nul_in_a_multipart_form_is_a_400(page):
    response = page.post("/evidence/add/", {"text": "bad\x00", "source": "interview"})
    assert response.status_code == 400
    assert response.content.decode() == "The form contains a NUL character."
    assert not Evidence.objects.exists()


def test_nul_in_the_login_form_is_a_400(client):
    response = client.post("/accounts/login/", {"username": "pat\x00", "password": "x"})
    assert response.status_code == 400
    assert response.content.decode() == "The form contains a NUL character."


def test_a_form_encoded_api_body_is_refused_before_it_is_parsed(api):
    response = api.post(
        "/api/v1/initiatives/", "title=a%00", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert problem(response)["detail"] == "The form contains a NUL character."
    response = api.post(
        "/api/v1/initiatives/", "title=a", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415  # the API speaks JSON only
