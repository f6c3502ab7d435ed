"""The error responses every API operation documents (DEFAULT_SCHEMA_CLASS on our views)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from api.openapi import ApiAutoSchema


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
