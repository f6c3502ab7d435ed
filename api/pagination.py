"""The API's pagination (REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"] is `Pagination`).

Every list pages by cursor (keyset). Page numbers shift when rows arrive
between two reads (a row is seen twice, or skipped); a cursor holds the sort
values of the last row seen, and the next page is "the rows after these
values", so paging stays exact while evidence, readings or check-ins keep
coming. The order is the list's (`?ordering=` or its default) with the id
appended as the tiebreaker, so rows with equal scores still have one place
each. NULLs sort last in either direction.

A cursor is opaque to clients (base64 of JSON) and names the ordering it was
made for: used with another `?ordering=` it is a 400, not a silent jump.

DRF imports this module while `rest_framework.generics` loads, so it must not
import anything that imports generics (drf-spectacular does).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, OrderBy, Q
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

PAGE_SIZE_ERROR = "Send page_size as a whole number from 1 to 200."
CURSOR_ERROR = "This cursor is not one the API gave; start again without it."
ORDERING_CHANGED = "This cursor was made for another ordering; start again without it."


def _encode_value(value):
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


class Pagination(BasePagination):
    """50 per page by default, `?page_size=` up to 200; `next` and `previous` carry the cursor.

    `ordering` on a subclass fixes the order (the list's own is then ignored).
    """

    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    cursor_query_param = "cursor"
    ordering: tuple[str, ...] | None = None

    # --- the request -----------------------------------------------------------

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        text = raw.strip()
        if not text.isascii() or not text.isdigit() or int(text) < 1:
            raise ValidationError({self.page_size_query_param: [PAGE_SIZE_ERROR]})
        return min(int(text), self.max_page_size)

    def _fail(self, message: str):
        raise ValidationError({self.cursor_query_param: [ErrorDetail(message, code="invalid")]})

    def decode_cursor(self, request, ordering: list[str]) -> tuple[list, bool] | None:
        """(the boundary row's sort values, whether to page backwards), or None for page 1."""
        raw = request.query_params.get(self.cursor_query_param)
        if raw is None:
            return None
        try:
            padded = raw + "=" * (-len(raw) % 4)
            data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
            values, backwards, made_for = data["v"], data["b"], data["o"]
        except (ValueError, KeyError, TypeError, UnicodeError, binascii.Error):
            self._fail(CURSOR_ERROR)
        scalar = (str, int, float, bool, type(None))
        if not isinstance(values, list) or not all(isinstance(v, scalar) for v in values):
            self._fail(CURSOR_ERROR)
        if not isinstance(backwards, bool):
            self._fail(CURSOR_ERROR)
        if made_for != ordering or len(values) != len(ordering):
            self._fail(ORDERING_CHANGED)
        return values, backwards

    def encode_cursor(self, row, *, backwards: bool) -> str:
        values = [_encode_value(getattr(row, name.lstrip("-"))) for name in self._attnames]
        data = {"v": values, "b": backwards, "o": self._ordering}
        text = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(text).decode("ascii").rstrip("=")

    # --- the order -------------------------------------------------------------

    @staticmethod
    def _names(order_by) -> list[str] | None:
        names = []
        for item in order_by:
            if isinstance(item, str):
                names.append(item)
            elif isinstance(item, OrderBy) and isinstance(item.expression, F):
                names.append(("-" if item.descending else "") + item.expression.name)
            else:
                return None  # an expression a cursor cannot hold
        return names

    def get_ordering(self, queryset) -> list[str]:
        """The list's order as field names, with the primary key last as the tiebreaker."""
        fixed = (self.ordering,) if isinstance(self.ordering, str) else self.ordering
        names = list(fixed or ()) or self._names(queryset.query.order_by) or []
        if not names:
            names = self._names(queryset.model._meta.ordering) or []
        opts = queryset.model._meta
        pk_names = {"pk", "id", opts.pk.name, opts.pk.attname}
        if not any(name.lstrip("-") in pk_names for name in names):
            last_desc = bool(names) and names[-1].startswith("-")
            names.append("-id" if last_desc or not names else "id")
        return names

    def _attname(self, model, name: str) -> str:
        """A foreign key sorts by its id column (not by the related model's ordering)."""
        sign, bare = ("-", name[1:]) if name.startswith("-") else ("", name)
        try:
            field = model._meta.get_field(bare)
        except FieldDoesNotExist:
            return name  # an annotation
        if bare == "pk":
            bare = model._meta.pk.attname
        return sign + getattr(field, "attname", bare)

    @staticmethod
    def _order_expressions(names: list[str], *, backwards: bool):
        # NULLs last going forwards, so first going backwards.
        out = []
        for name in names:
            desc = name.startswith("-") != backwards
            nulls = {"nulls_first": True} if backwards else {"nulls_last": True}
            expression = F(name.lstrip("-"))
            out.append(expression.desc(**nulls) if desc else expression.asc(**nulls))
        return out

    @staticmethod
    def _beyond(names: list[str], values: list, *, backwards: bool) -> Q:
        """Rows strictly after (or, backwards, before) the boundary row, in lexicographic order."""
        result = Q(pk__in=[])
        equal_so_far = Q()
        for name, value in zip(names, values, strict=True):
            field, desc = name.lstrip("-"), name.startswith("-")
            if value is None:
                # NULLs sort last: nothing is after a NULL; every non-NULL is before it.
                step = Q(**{f"{field}__isnull": False}) if backwards else None
                same = Q(**{f"{field}__isnull": True})
            else:
                lookup = "lt" if desc != backwards else "gt"
                step = Q(**{f"{field}__{lookup}": value})
                if not backwards:
                    step |= Q(**{f"{field}__isnull": True})
                same = Q(**{field: value})
            if step is not None:
                result |= equal_so_far & step
            equal_so_far &= same
        return result

    # --- the page --------------------------------------------------------------

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size = self.get_page_size(request)
        names = self.get_ordering(queryset)
        self._ordering = names
        self._attnames = [self._attname(queryset.model, name) for name in names]
        cursor = self.decode_cursor(request, names)
        backwards = bool(cursor and cursor[1])
        rows = queryset.order_by(*self._order_expressions(self._attnames, backwards=backwards))
        try:
            if cursor is not None:
                rows = rows.filter(self._beyond(self._attnames, cursor[0], backwards=backwards))
            page = list(rows[: size + 1])
        except (TypeError, ValueError, OverflowError, DjangoValidationError):
            self._fail(CURSOR_ERROR)  # values no cursor of ours holds
        more = len(page) > size
        page = page[:size]
        if backwards:
            page.reverse()
        has_next = more if not backwards else cursor is not None
        has_previous = more if backwards else cursor is not None
        self.next_cursor = (
            self.encode_cursor(page[-1], backwards=False) if page and has_next else None
        )
        self.previous_cursor = (
            self.encode_cursor(page[0], backwards=True) if page and has_previous else None
        )
        return page

    def _link(self, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, cursor)

    def get_next_link(self):
        return self._link(self.next_cursor)

    def get_previous_link(self):
        return self._link(self.previous_cursor)

    def first_page_link(self) -> str:
        return remove_query_param(self.request.build_absolute_uri(), self.cursor_query_param)

    def get_paginated_response(self, data):
        return Response(
            {
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {**link, "description": "The next page; null on the last."},
                "previous": {**link, "description": "The previous page; null on the first."},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Where the page starts: take it from `next` or `previous`.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page, 1 to {self.max_page_size} (default"
                f" {self.page_size}; more is cut to {self.max_page_size}).",
                "schema": {"type": "integer", "minimum": 1},
            },
        ]


class NewestFirstCursorPagination(Pagination):
    """A list in a fixed order, newest first: subclasses set `ordering` (a time, then `-id`)."""

    ordering = ("-id",)
