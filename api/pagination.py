"""The API's pagination (REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"] is `Pagination`).

Page numbers shift when rows arrive between two reads (a row is seen twice
or skipped); a cursor names the last row seen, so paging stays exact while
check-ins or audit rows keep coming.

DRF imports this module while `rest_framework.generics` loads, so it must not
import anything that imports generics (drf-spectacular does).
"""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination

PAGE_SIZE_ERROR = "Send page_size as a whole number from 1 to 200."
PAGE_ERROR = "Send page as a whole number from 1."


class NewestFirstCursorPagination(CursorPagination):
    """50 per page by default, `?page_size=` up to 200; `next` and `previous` carry the cursor.

    Subclasses set `ordering` (a time field first, then `-id`).
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        text = raw.strip()
        if not text.isascii() or not text.isdigit() or int(text) < 1:
            raise ValidationError({self.page_size_query_param: [PAGE_SIZE_ERROR]})
        return min(int(text), self.max_page_size)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update({"minimum": 1})
        return parameters


class Pagination(PageNumberPagination):
    """Every list: 50 per page by default; `?page_size=` up to 200 (more is cut to 200).

    A page_size that is not a whole number of at least 1 is a 400, not the
    default page: a client that misspells it should learn so, not page through
    50 at a time believing it asked for 200.
    """

    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        text = raw.strip()
        if not text.isascii() or not text.isdigit() or int(text) < 1:
            raise ValidationError({self.page_size_query_param: [PAGE_SIZE_ERROR]})
        return min(int(text), self.max_page_size)

    def get_page_number(self, request, paginator):
        """An empty or non-numeric `page` is a 400 (DRF read `?page=` as page 1)."""
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        if raw in self.last_page_strings:
            return paginator.num_pages
        text = raw.strip()
        if not text.isascii() or not text.isdigit():
            raise ValidationError({self.page_query_param: [PAGE_ERROR]})
        return text

    def get_schema_operation_parameters(self, view):
        """`page` and `page_size` count from 1, as get_page_size and the paginator require."""
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
        return parameters
