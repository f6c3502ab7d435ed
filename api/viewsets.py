"""Base viewsets and mixins: writes through services, reads through selectors.

- `service_errors()` turns a service's django ValidationError into a DRF 400.
- `VersionedUpdateMixin` handles optimistic locking: `version` in the body or
  `If-Match: "<version>"`; a stale one answers 409 with the current object.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from api.autoschema import PriorityAutoSchema
from api.errors import StaleVersionConflict
from okrs.services import StaleVersion


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
            raise StaleVersionConflict(str(exc), current=current) from exc
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
