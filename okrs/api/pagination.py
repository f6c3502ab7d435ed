"""The API's default pagination (REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"]).

A module of its own: DRF imports it while `rest_framework.generics` loads, so
it must not import anything that imports generics (drf-spectacular does).
"""

from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """Every list: 50 per page by default; `?page_size=` up to 200 (more is cut to 200)."""

    page_size_query_param = "page_size"
    max_page_size = 200
