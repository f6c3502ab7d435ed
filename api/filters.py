"""The API's search filter (REST_FRAMEWORK["DEFAULT_FILTER_BACKENDS"]).

Each search word becomes one `ILIKE '%word%'` over the column: a search of
thousands of words was a query SQLite refused (a 500, "Expression tree is too
large") and PostgreSQL scanned slowly. The browser's search boxes take 200
characters; so does the API, in at most MAX_SEARCH_TERMS words.
"""

from __future__ import annotations

import django_filters
from django import forms
from rest_framework import filters
from rest_framework.exceptions import ValidationError
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
