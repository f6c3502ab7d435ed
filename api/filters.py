"""The API's search and ordering filters (REST_FRAMEWORK["DEFAULT_FILTER_BACKENDS"]).

`?ordering=` naming a field the list does not order by is a 400 naming it
(DRF's OrderingFilter drops it silently and answers the default order).

Each search word becomes one `ILIKE '%word%'` over the column: a search of
thousands of words was a query SQLite refused (a 500, "Expression tree is too
large") and PostgreSQL scanned slowly. The browser's search boxes take 200
characters; so does the API, in at most MAX_SEARCH_TERMS words.
"""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.utils.dateparse import parse_datetime
from rest_framework import filters
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.fields import CharField

MAX_SEARCH_CHARS = 200
MAX_SEARCH_TERMS = 10


class SearchFilter(filters.SearchFilter):
    """DRF's `?search=`, bounded; a search over the bounds is a 400 naming the parameter."""

    def get_search_terms(self, request):
        value = request.query_params.get(self.search_param, "")
        field = CharField(trim_whitespace=False, allow_blank=True, max_length=MAX_SEARCH_CHARS)
        try:
            cleaned = field.run_validation(value)
        except ValidationError as exc:
            raise ValidationError({self.search_param: exc.detail}) from exc
        terms = filters.search_smart_split(cleaned)
        if len(terms) > MAX_SEARCH_TERMS:
            raise ValidationError(
                {self.search_param: [f"Search for at most {MAX_SEARCH_TERMS} words."]}
            )
        return terms

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["description"] = (
                f"Words that must all appear (at most {MAX_SEARCH_TERMS} words)."
            )
            parameter["schema"]["maxLength"] = MAX_SEARCH_CHARS
        return parameters


class OrderingFilter(filters.OrderingFilter):
    """DRF's `?ordering=a,-b`, refusing a field the view does not order by.

    A view's `ordering_aliases` maps a name clients order by to the column
    that holds its order (a rank is counted, its key is stored).
    """

    def get_ordering(self, request, queryset, view):
        params = request.query_params.get(self.ordering_param)
        if params is not None:
            fields = [part.strip() for part in params.split(",") if part.strip()]
            valid = {
                item[0] for item in self.get_valid_fields(queryset, view, {"request": request})
            }
            unknown = [f for f in fields if f.lstrip("-") not in valid]
            if unknown:
                allowed = ", ".join(sorted(valid))
                raise ValidationError(
                    {
                        self.ordering_param: [
                            ErrorDetail(
                                f"Unknown ordering field {name!r}; order by one of: {allowed}.",
                                code="unknown_ordering",
                            )
                            for name in unknown
                        ]
                    }
                )
        ordering = super().get_ordering(request, queryset, view)
        aliases = getattr(view, "ordering_aliases", {})
        if not aliases or not ordering:
            return ordering
        return [
            term[0] + aliases[term[1:]]
            if term.startswith("-") and term[1:] in aliases
            else aliases.get(term, term)
            for term in ordering
        ]


class ChangedSinceFilter(filters.BaseFilterBackend):
    """`?updated_after=` and `?created_after=` on every list whose rows carry the time.

    An integration keeps the newest `updated_at` it has seen and asks for what
    changed after it (ordering by `updated_at` pages through it in that order).
    An ISO 8601 moment with its offset; anything else is a 400 naming the parameter.
    """

    PARAMETERS = {"updated_after": "updated_at", "created_after": "created_at"}

    @staticmethod
    def _model(view):
        """The listed rows' model: the serializer's (an action may list other rows)."""
        try:
            meta = getattr(view.get_serializer_class(), "Meta", None)
            return getattr(meta, "model", None) or view.get_queryset().model
        except Exception:  # a view that cannot say without its request
            return None

    def _fields(self, model) -> dict[str, str]:
        if model is None:
            return {}
        names = {field.name for field in model._meta.get_fields()}
        return {param: field for param, field in self.PARAMETERS.items() if field in names}

    def filter_queryset(self, request, queryset, view):
        for param, field in self._fields(queryset.model).items():
            raw = request.query_params.get(param)
            if raw is None:
                continue
            try:
                moment = parse_datetime(raw.strip()) if raw.strip() else None
                # In UTC for the database (PostgreSQL refuses offsets past +/-15:59).
                moment = moment.astimezone(dt.UTC) if moment and moment.tzinfo else None
            except (ValueError, OverflowError):  # outside the calendar once in UTC
                moment = None
            if moment is None:
                raise ValidationError(
                    {
                        param: [
                            ErrorDetail(
                                "Send an ISO 8601 moment with its offset, e.g."
                                " 2026-10-01T12:00:00Z.",
                                code="invalid",
                            )
                        ]
                    }
                )
            queryset = queryset.filter(**{f"{field}__gt": moment})
        return queryset

    def get_schema_operation_parameters(self, view):
        what = {"updated_after": "changed", "created_after": "created"}
        return [
            {
                "name": param,
                "required": False,
                "in": "query",
                "description": f"Only rows {what[param]} after this moment (ISO 8601 with"
                " offset): sync what is new since the last run.",
                "schema": {"type": "string", "format": "date-time"},
            }
            for param in self._fields(self._model(view))
        ]


class _TrueOrFalse(forms.Field):
    """`true` or `false`, as the schema's boolean is written in a query; absent is no filter."""

    widget = forms.TextInput
    default_error_messages = {"invalid": "Send true or false."}

    def to_python(self, value):
        if value is None:
            return None
        if value in ("true", "false"):
            return value == "true"
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class BooleanFilter(django_filters.BooleanFilter):
    """django-filter's BooleanFilter without its silent fallback.

    Its field reads `null`, `yes` or a typo as "no filter" and answers the
    whole list; here anything but `true` or `false` is a 400 naming the parameter.
    """

    field_class = _TrueOrFalse
