"""The pages a view can be saved on, and the query parameters each one reads.

A saved view is a page plus its filters and sort. Keeping only the parameters
the page knows means a saved link can never carry anything else (a page number,
a CSRF token, junk), and opening it always lands on a page that understands it.
"""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import urlencode

from django.http import QueryDict


class Page(NamedTuple):
    label: str
    url_name: str
    params: frozenset[str]


PAGES: dict[str, Page] = {
    "priorities": Page(
        "Priorities",
        "roadmap:priorities",
        frozenset({"status", "lane", "team", "objective", "unaligned", "search", "sort"}),
    ),
    "board": Page("Roadmap", "roadmap:board", frozenset({"team", "objective", "status"})),
}

MAX_QUERY_LENGTH = 1000


def clean_query(page: str, query: str) -> str:
    """The page's own parameters out of a query string, empty values dropped, in a stable order."""
    params = PAGES[page].params
    data = QueryDict(query.lstrip("?"))
    kept = sorted((key, value) for key, value in data.items() if key in params and value)
    return urlencode(kept)
