"""FilterSets and filters the API's list endpoints share (query parameters parsed here,
applied by the app's selectors)."""

from datetime import UTC

from django import forms
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import extend_schema_field

ID_MAX = 2**63 - 1


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": ID_MAX})
class IdFilter(filters.NumberFilter):
    """An object id: a whole number within the database's range (else 400, not 500)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", ID_MAX)
        super().__init__(*args, **kwargs)


class MomentField(IsoDateTimeField):
    """An ISO 8601 moment, given to the database in UTC.

    Python reads offsets up to +/-23:59; PostgreSQL refuses past +/-15:59 (a
    500 from a filter like `received_after=0607-09-10T01:07:39+17:26`). In UTC
    every offset is fine, and one that would leave the calendar is a 400.
    """

    def clean(self, value):
        # Given but empty (`?received_before=`) is not a moment: a 400, not "no filter".
        if isinstance(value, str) and not value.strip():
            raise forms.ValidationError("Enter a date and time, or leave the parameter out.")
        value = super().clean(value)
        if value is None:
            return None
        try:
            return value.astimezone(UTC)
        except OverflowError as exc:
            raise forms.ValidationError("This moment is outside the calendar.") from exc


class MomentFilter(filters.IsoDateTimeFilter):
    field_class = MomentField


class SelectorFilterSet(filters.FilterSet):
    """Parses and documents the query parameters; the selector applies them."""

    selector = None

    def filter_queryset(self, queryset):
        return type(self).selector(viewer=self.request.user, filters=self.form.cleaned_data)
