"""API plumbing shared by the okrs and roadmap APIs (no domain rules here).

- `PriorityAutoSchema` documents the error responses every operation can give.
- `service_errors()` turns a service's django ValidationError into a DRF 400.
- `VersionedUpdateMixin` handles optimistic locking: `version` in the body or
  `If-Match: "<version>"`; a stale one answers 409 with the current object.
- `one_or_many()` parses the body of the ingest endpoints (one object or a list).
"""

from __future__ import annotations

import re
from contextlib import contextmanager

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from api.openapi import ApiAutoSchema
from api.schema import list_bounds
from okrs.services import StaleVersion

from .plain_items import plain_validated

MAX_BATCH = 1000


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class ConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    current = serializers.DictField(help_text="The object as it is now, with its current version.")


FIELD_ERRORS_SCHEMA = {
    "description": (
        "Field errors: each key is a field name (or `non_field_errors`), each value a list of"
        " messages. For a list sent to an ingest endpoint: `detail` and `items`, a map from"
        " the index of each bad item to its field errors. A bad query parameter may give a"
        " plain list of messages."
    ),
    "anyOf": [
        {"type": "object", "additionalProperties": True},
        {"type": "array", "items": {"type": "string"}},
    ],
}

ERROR_RESPONSES = {
    "400": OpenApiResponse(FIELD_ERRORS_SCHEMA, description="Invalid input; nothing was written."),
    "401": OpenApiResponse(ErrorSerializer, description="No or invalid credentials."),
    "403": OpenApiResponse(ErrorSerializer, description="Your role may not do this."),
    "404": OpenApiResponse(ErrorSerializer, description="No such object (or page)."),
    "409": OpenApiResponse(
        ConflictSerializer,
        description="Stale `version` (or If-Match): someone changed the object; nothing changed.",
    ),
}


class PriorityAutoSchema(ApiAutoSchema):
    """Adds the error responses an operation can really give to its documented responses."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        codes = ["401", "403"]
        has_path_params = "{" in self.path
        is_list = self.method == "GET" and self._is_list_view()
        if self.method in ("POST", "PUT", "PATCH") or is_list:
            codes.append("400")
        if has_path_params or is_list:
            codes.append("404")
        if self.method in ("PUT", "PATCH") and getattr(self.view, "versioned", False):
            codes.append("409")
        for code in codes:
            if code not in responses:
                responses[code] = self._get_response_for_code(ERROR_RESPONSES[code], code)
        return responses


@contextmanager
def service_errors():
    """Re-raise a service's django ValidationError as a DRF one (400 with field errors)."""
    try:
        yield
    except DjangoValidationError as exc:
        raise ValidationError(serializers.as_serializer_error(exc)) from exc


_ETAG = re.compile(r'^\s*(?:W/)?"?(\d+)"?\s*$')


def expected_version(request) -> int | None:
    """The version the client last saw: `If-Match: "<n>"` or `version` in the body."""
    header = request.headers.get("If-Match")
    if header:
        match = _ETAG.match(header)
        if not match:
            raise ValidationError({"If-Match": ['Send the version as If-Match: "<version>".']})
        return int(match.group(1))
    data = request.data if isinstance(request.data, dict) else {}
    if data.get("version") in (None, ""):
        return None
    field = serializers.IntegerField(min_value=1)
    try:
        return field.run_validation(data["version"])
    except ValidationError as exc:
        raise ValidationError({"version": exc.detail}) from exc


class VersionedUpdateMixin:
    """PUT/PATCH through a service with optimistic locking.

    Subclasses implement `perform_service_update(instance, data, expected_version)`
    and return the saved object; `get_object()` re-reads it so the response
    shows what a rescore made of the change.
    """

    versioned = True

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        instance = self.get_object()
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("version", None)
        version = expected_version(request)
        try:
            with service_errors():
                self.perform_service_update(instance, data, version)
        except StaleVersion as exc:
            current = self.get_serializer(self.reread(exc.current)).data
            return Response(
                {"detail": str(exc), "current": current},
                status=status.HTTP_409_CONFLICT,
                headers={"ETag": f'"{current["version"]}"'},
            )
        fresh = self.reread(instance)
        body = self.get_serializer(fresh).data
        return Response(body, headers={"ETag": f'"{fresh.version}"'})

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        return Response(
            self.get_serializer(instance).data, headers={"ETag": f'"{instance.version}"'}
        )

    def reread(self, instance):
        return self.get_queryset().get(pk=instance.pk)


def one_or_many(request) -> tuple[list, bool]:
    """The ingest body as a list, and whether the client sent a list."""
    data = request.data
    if isinstance(data, list):
        if not data:
            raise ValidationError({"detail": "Send one object or a list of at least one."})
        if len(data) > MAX_BATCH:
            raise ValidationError(
                {
                    "detail": f"A batch holds at most {MAX_BATCH} items; this one has"
                    f" {len(data)}. Split it into several requests."
                }
            )
        return data, True
    if isinstance(data, dict):
        return [data], False
    raise ValidationError({"detail": "Send a JSON object or a list of objects."})


def item_errors(errors: dict[str, dict], *, total: int, many: bool) -> ValidationError:
    """Errors by item index as one 400: flat for a single object, by index for a list."""
    if not many:
        return ValidationError(errors.get("0", {}))
    return ValidationError(
        {
            "detail": f"{len(errors)} of {total} items are invalid; nothing was written.",
            "items": errors,
        }
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


class ServiceViewSet(viewsets.GenericViewSet):
    """A viewset whose writes go through services; reads through selectors (get_queryset)."""

    schema = PriorityAutoSchema()
    # Any path segment reaches the view, so a malformed id is a JSON 404, not Django's page.
    lookup_value_regex = "[^/]+"

    def reread(self, instance):
        """The saved object as the selector serves it (scores fresh after an eager rescore)."""
        return self.get_queryset().get(pk=instance.pk)

    def created(self, instance, **headers):
        fresh = self.reread(instance)
        if hasattr(fresh, "version"):
            headers["ETag"] = f'"{fresh.version}"'
        return Response(
            self.get_serializer(fresh).data, status=status.HTTP_201_CREATED, headers=headers
        )


class ServiceCreateMixin:
    """POST: the serializer validates, `create_service(data)` writes, the answer is re-read."""

    def create_service(self, data: dict):
        raise NotImplementedError

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("version", None)
        with service_errors():
            instance = self.create_service(data)
        return self.created(instance)


class ServiceDestroyMixin:
    """DELETE: `delete_service(instance)` removes it; a refusal is a 400, not a 500."""

    def delete_service(self, instance) -> None:
        raise NotImplementedError

    def destroy(self, request, *args, **kwargs):
        with service_errors():
            self.delete_service(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


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
