"""Cursor pagination for lists that grow at the top (newest first).

Page numbers shift when rows arrive between two reads (a row is seen twice
or skipped); a cursor names the last row seen, so paging stays exact while
check-ins or audit rows keep coming.
"""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination

PAGE_SIZE_ERROR = "Send page_size as a whole number from 1 to 200."


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
