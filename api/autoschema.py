"""The error responses every API operation documents (REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]).

Every error is one component, `Problem` (api.errors says what it holds);
`problem_responses`, a post-processing hook, serves it as
`application/problem+json` for every 4xx and 5xx response in the schema.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from api.errors import CONTENT_TYPE
from api.openapi import ApiAutoSchema


class ProblemErrorSerializer(serializers.Serializer):
    """One fault: where it is (pointer, parameter or header), a machine code and a message."""

    pointer = serializers.CharField(
        required=False,
        help_text="RFC 6901 JSON pointer into the request body: `/title`, `/3/received_at`"
        " (item 3 of a batch); empty for the body as a whole.",
    )
    parameter = serializers.CharField(required=False, help_text="The query parameter at fault.")
    header = serializers.CharField(required=False, help_text="The request header at fault.")
    code = serializers.CharField(
        help_text="Machine-readable: `required`, `invalid`, `max_value`, `unknown_parameter`..."
    )
    detail = serializers.CharField(help_text="What is wrong, for a person.")


class ProblemSerializer(serializers.Serializer):
    """An error (RFC 9457 problem details), the body of every 4xx and 5xx answer."""

    type = serializers.CharField(
        help_text="The kind of problem, e.g. `urn:priority:problem:validation-error`."
    )
    title = serializers.CharField(help_text="The HTTP status phrase.")
    status = serializers.IntegerField(help_text="The HTTP status code.")
    detail = serializers.CharField(help_text="What went wrong, in a sentence.")
    errors = ProblemErrorSerializer(many=True, help_text="Each fault; empty when none is.")
    current = serializers.DictField(
        required=False,
        help_text="409 only: the object as it is now, with its current `version`.",
    )


def _problem(description: str) -> OpenApiResponse:
    return OpenApiResponse(ProblemSerializer, description=description)


ERROR_RESPONSES = {
    "400": _problem(
        "Invalid input, or an unknown query parameter or ordering field; nothing was written."
    ),
    "401": _problem("No or invalid credentials."),
    "403": _problem("Your role may not do this."),
    "404": _problem("No such object."),
    "409": _problem(
        "Stale `version` (or If-Match): someone changed the object; nothing changed."
        " `current` holds the object as it is now."
    ),
}


class PriorityAutoSchema(ApiAutoSchema):
    """Adds the error responses an operation can really give to its documented responses."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        # Any operation refuses an unknown query parameter (400). 413 and 429 are
        # documented by api.schema.document_limits.
        codes = ["400", "401", "403"]
        if "{" in self.path:
            codes.append("404")
        if self.method in ("PUT", "PATCH") and getattr(self.view, "versioned", False):
            codes.append("409")
        for code in codes:
            if code not in responses:
                responses[code] = self._get_response_for_code(ERROR_RESPONSES[code], code)
        return responses


PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def problem_responses(result, generator, request, public):
    """Every 4xx and 5xx response: the one `Problem` component, as application/problem+json."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for code, response in operation.get("responses", {}).items():
                if str(code)[0] in "45":
                    response["content"] = {CONTENT_TYPE: {"schema": dict(PROBLEM_REF)}}
    return result
