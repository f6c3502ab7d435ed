"""Cached pages of the ranked list (GET /api/v1/priorities/).

Integrations poll the ranked list; between rescores it does not change. A page
is stored under the list's generation read *before* its query ran (see
roadmap.services.read_cache), so no write can leave a stale page current, and
under a key built from the list's parameters as the list reads them, not as
they were spelled: `page_size=0200`, `00200` and `500` (cut to 200) are one
page and one entry; an invalid value or any parameter the list does not take
is answered uncached (the API says what is wrong, or the page is computed).

Only the page's rows and its two cursors are stored. `next` and `previous`
are built around them for each request by the list's own paginator, from that
request's URL, so a hit answers exactly what the query would have (the links
echo the client's own spelling and host) and the key needs no host.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter, SearchFilter

from roadmap.models import Initiative
from roadmap.services.read_cache import priorities_generation

TIMEOUT_SECONDS = 300
CACHED_PARAMS = frozenset(
    ("status", "lane", "team", "search", "ordering", "cursor", "page_size", "format")
)
STATUSES = frozenset(s.value for s in Initiative.RANKED_STATUSES)
LANES = frozenset(Initiative.Lane.values)


@dataclass(frozen=True)
class CachedPage:
    """One page of the list: the cursors of its neighbours, and its rows as rendered JSON."""

    next_cursor: str | None
    previous_cursor: str | None
    results: bytes


def _positive_int(text: str) -> int | None:
    # int() as Django's Paginator and DRF read these parameters (" 2", "02", "2_0").
    try:
        number = int(text)
    except ValueError:
        return None
    return number if number > 0 else None


def _backend(view, kind):
    return next(b() for b in view.filter_backends if issubclass(b, kind))


def page_key(request, view) -> str | None:
    """The cache key of the page this request asks for, or None to answer it uncached."""
    params = request.query_params
    if (
        request.accepted_renderer.format != "json"
        or "indent" in request.accepted_media_type  # the body's layout would differ
        or any(name not in CACHED_PARAMS or len(params.getlist(name)) > 1 for name in params)
    ):
        return None
    paginator = view.paginator
    size = params.get(paginator.page_size_query_param)
    size = paginator.page_size if size is None else _positive_int(size)
    status, lane = params.get("status", ""), params.get("lane", "")
    if size is None or (status and status not in STATUSES) or (lane and lane not in LANES):
        return None  # the API answers: a 400 naming the parameter
    try:
        search = _backend(view, SearchFilter).get_search_terms(request)
        ordering = _backend(view, OrderingFilter).get_ordering(request, view.get_queryset(), view)
    except ValidationError:
        return None
    normalised = [
        # The cursor as sent: the paginator checks it (a bad one is a 400, uncached).
        params.get(paginator.cursor_query_param),
        min(size, paginator.max_page_size),
        status,
        lane,
        params.get("team", "").strip(),  # the filter strips it too
        search,
        list(ordering or ()),
    ]
    digest = hashlib.sha256(json.dumps(normalised).encode()).hexdigest()
    return f"roadmap:priorities:{priorities_generation()}:{digest}"


def page_from(view, rows_data, request) -> CachedPage:
    """The page the view's paginator has just cut, with `rows_data` (serialized rows) rendered."""
    results = request.accepted_renderer.render(
        rows_data, request.accepted_media_type, view.get_renderer_context()
    )
    paginator = view.paginator
    return CachedPage(
        next_cursor=paginator.next_cursor,
        previous_cursor=paginator.previous_cursor,
        results=results,
    )


def page_body(request, view, cached: CachedPage) -> bytes:
    """The whole answer: the paginator's envelope for this request around the cached rows."""
    paginator = view.paginator
    paginator.request = request
    paginator.next_cursor = cached.next_cursor
    paginator.previous_cursor = cached.previous_cursor
    envelope = paginator.get_paginated_response([]).data
    rendered = request.accepted_renderer.render(
        envelope, request.accepted_media_type, view.get_renderer_context()
    )
    # The rows are the envelope's last value: swap the empty list for them.
    if not rendered.endswith(b"[]}"):
        raise RuntimeError("The list's envelope no longer ends with its rows.")
    return rendered[:-3] + cached.results + b"}"
