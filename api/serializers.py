"""Serializer fields that take what the OpenAPI schema says, and nothing else.

DRF's fields are lenient: a CharField takes `0` and `false` (stored as "0" and
"False"), a FloatField takes `false` and `"1.5"`, a DecimalField takes `1200`,
`" 1e3 "` and 20 leading zeros. The schema says string, number and a decimal
pattern, so a client learns the types from it and an integration's bug (a
number where its id should be a string) is a 400, not a row with the wrong
value. `ModelSerializer` maps model fields to these; a field declared by hand
uses them directly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from difflib import get_close_matches

from django.core.validators import MinValueValidator
from django.db import models
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers


class _StringOnly:
    """Refuses anything but a JSON string (DRF's "invalid" message: "Not a valid string.")."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(_StringOnly, serializers.CharField):
    pass


class StrictSlugField(_StringOnly, serializers.SlugField):
    pass


class StrictEmailField(_StringOnly, serializers.EmailField):
    pass


class StrictURLField(_StringOnly, serializers.URLField):
    pass


class StrictFloatField(serializers.FloatField):
    """A JSON number: not `true`/`false`, not a string of digits."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictDecimalField(serializers.DecimalField):
    """A decimal as a JSON string of plain digits, exactly as the schema's pattern states.

    The pattern is built from the field's digits and places (and no minus sign
    when the minimum is 0 or more); what it refuses, DRF would have taken in a
    form the schema does not show (`1e3`, `+5`, ` 1 `, `.5`, leading zeros past
    the digits).
    """

    default_error_messages = {
        "not_plain": "Send the amount as a string of digits with at most {places} decimals,"
        ' e.g. "1200.50".',
    }

    @property
    def pattern(self) -> str:
        sign = "" if self.min_value is not None and self.min_value >= 0 else "-?"
        whole = self.max_whole_digits
        places = self.decimal_places
        number = rf"\d{{1,{whole}}}" if whole else "0"
        fraction = rf"(?:\.\d{{1,{places}}})?" if places else ""
        return rf"^{sign}{number}{fraction}$"

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        if not re.fullmatch(self.pattern, data, flags=re.ASCII):
            self.fail("not_plain", places=self.decimal_places)
        return super().to_internal_value(data)


class StrictDecimalFieldSchema(OpenApiSerializerFieldExtension):
    """Documents StrictDecimalField with the pattern it enforces."""

    target_class = StrictDecimalField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        # No `format: decimal`: fuzzers (schemathesis) read that format as "a
        # number" and send 0.0; the pattern says exactly what is taken.
        field = self.target
        longest = (field.max_digits or 0) + (1 if field.decimal_places else 0) + 1  # '.', '-'
        return {"type": "string", "pattern": field.pattern, "maxLength": longest}


# A request body's key the serializer does not know is a 400 that names it (and
# the field meant, when one is close), not a key DRF drops in silence: a client
# that sends `efort` would otherwise get a 200 and an initiative unchanged.
# Read-only fields are known, so a body read with GET can be sent back as is.
class KnownFieldsOnly:
    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            known = self.fields
            if unknown := sorted(str(key) for key in data if key not in known):
                writable = [name for name, field in known.items() if not field.read_only]
                raise serializers.ValidationError(
                    {name: [_unknown_message(name, writable)] for name in unknown}
                )
        return super().to_internal_value(data)


def _unknown_message(name: str, writable: list[str]) -> str:
    close = get_close_matches(name, writable, n=1)
    return f"Unknown field; did you mean `{close[0]}`?" if close else "Unknown field."


# A request body's serializer (not a response's or a query string's, whose
# extra keys are other parameters such as `cursor`).
class Serializer(KnownFieldsOnly, serializers.Serializer):
    pass


# DRF's ModelSerializer with model fields mapped to the strict fields above, and
# unknown keys refused. A comment, not a docstring: drf-spectacular describes
# every serializer without a docstring of its own by the nearest one it inherits.
class ModelSerializer(KnownFieldsOnly, serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.SlugField: StrictSlugField,
        models.EmailField: StrictEmailField,
        models.URLField: StrictURLField,
        models.FloatField: StrictFloatField,
        models.DecimalField: StrictDecimalField,
    }

    def build_standard_field(self, field_name, model_field):
        """DRF turns a model's MinValueValidator into `min_value` with DRF's message; one
        with a message of its own (a subclass) stays a validator, so the API says what the
        model and the browser forms say, and the schema still states the minimum."""
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        own = [
            v
            for v in model_field.validators
            if isinstance(v, MinValueValidator) and type(v) is not MinValueValidator
        ]
        if own and "min_value" in kwargs:
            del kwargs["min_value"]
            kwargs["validators"] = [*kwargs.get("validators", []), *own]
        return field_class, kwargs
