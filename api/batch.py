"""Ingest bodies: one object or a list of up to MAX_BATCH, all or nothing.

Errors of a list name the index of each bad item.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import PolymorphicProxySerializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from api.errors import BatchInvalid
from api.plain_items import plain_validated
from api.schema import list_bounds

MAX_BATCH = 1000


def one_or_many(request) -> tuple[list, bool]:
    """The ingest body as a list, and whether the client sent a list."""
    data = request.data
    if isinstance(data, list):
        if not data:
            raise ValidationError("Send one object or a list of at least one.", code="empty")
        if len(data) > MAX_BATCH:
            raise ValidationError(
                f"A batch holds at most {MAX_BATCH} items; this one has"
                f" {len(data)}. Split it into several requests.",
                code="max_length",
            )
        return data, True
    if isinstance(data, dict):
        return [data], False
    raise ValidationError("Send a JSON object or a list of objects.", code="invalid")


def item_errors(errors: dict[str, dict], *, total: int, many: bool) -> ValidationError:
    """Errors by item index as one 400: flat for a single object, by index for a list
    (each error's pointer then starts with the item's index: `/3/received_at`)."""
    if not many:
        return ValidationError(errors.get("0", {}))
    return BatchInvalid(
        errors, summary=f"{len(errors)} of {total} items are invalid; nothing was written."
    )


def validate_items(serializer_class, items: list, *, many: bool, context: dict) -> list[dict]:
    """Validate every item; any error refuses the whole batch, naming each bad index."""
    plain = plain_validated(serializer_class, items, context=context)
    if plain is not None:
        return plain
    serializer = serializer_class(data=items, many=True, context=context)
    if serializer.is_valid():
        return serializer.validated_data
    errors = serializer.errors
    # DRF gives {index: field errors} for bad items (a list in older versions).
    pairs = errors.items() if isinstance(errors, dict) else enumerate(errors)
    bad = {str(index): err for index, err in pairs if err}
    if not all(key.isdigit() for key in bad):  # list-level errors (non_field_errors)
        raise ValidationError(errors)
    raise item_errors(bad, total=len(items), many=many)


def batch_error(exc, *, total: int, many: bool) -> ValidationError:
    """A service's BatchValidationError (errors by index) as the same 400 as validate_items."""
    bad = {
        str(index): serializers.as_serializer_error(DjangoValidationError(err))
        for index, err in exc.errors.items()
    }
    return item_errors(bad, total=total, many=many)


def one_or_many_schema(
    name: str, *, item, single_result, batch_result
) -> tuple[PolymorphicProxySerializer, PolymorphicProxySerializer]:
    """The OpenAPI request and response of an ingest endpoint: one object or a list.

    The list holds 1 to MAX_BATCH items, as one_or_many requires.
    """
    list_bounds(f"{name}OneOrManyRequest", min_items=1, max_items=MAX_BATCH)
    request = PolymorphicProxySerializer(
        component_name=f"{name}OneOrMany",
        serializers=[item, item(many=True)],
        resource_type_field_name=None,
        many=False,
    )
    response = PolymorphicProxySerializer(
        component_name=f"{name}IngestResult",
        serializers=[single_result, batch_result],
        resource_type_field_name=None,
        many=False,
    )
    return request, response
