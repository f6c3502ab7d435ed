"""OpenAPI for API keys, rate-limit headers and Idempotency-Key (drf-spectacular).

`BearerScheme` documents ApiKeyAuthentication; `document_keys_and_limits` (a
postprocessing hook, registered in SPECTACULAR_SETTINGS) adds the
Idempotency-Key parameter and its 409/422 answers to every POST, and the
RateLimit-* headers to every response.
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from .idempotency import MAX_KEY_LENGTH, stores


class BearerScheme(OpenApiAuthenticationExtension):
    target_class = "apikeys.authentication.ApiKeyAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "prio_<8-character id>_<secret>",
            "description": (
                "An API key, `Authorization: Bearer prio_…`, created by product in the app or "
                "by staff in the admin. Its scopes (read, ingest, write) narrow what its "
                "account's role may do."
            ),
        }


_INTEGER = {"type": "integer", "minimum": 0}
HEADERS = {
    "RateLimit-Limit": ("Requests allowed in the window.", _INTEGER),
    "RateLimit-Remaining": ("Requests left in the window.", _INTEGER),
    "RateLimit-Reset": (
        "Seconds until the oldest counted request leaves the window.",
        _INTEGER,
    ),
    "RateLimit-Policy": (
        "The quota and its window in seconds, e.g. `6000;w=60`.",
        {"type": "string"},
    ),
}
REPLAYED = "Idempotent-Replayed"
IDEMPOTENCY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Makes the POST safe to retry: the same key with the same request replays the first "
        "answer (status, body, Location) for 24 hours and creates nothing new; with a "
        "different request it answers 422; while the first is still running, 409. Keys are "
        "kept per account; a UUID is a good key."
    ),
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_KEY_LENGTH,
        "pattern": "^[!-~]+$",
    },
}
POST_ANSWERS = {
    "409": "A request with this Idempotency-Key is still running (retry after Retry-After).",
    "422": "This Idempotency-Key was used for a different request.",
}


def _ref(kind: str, name: str) -> dict:
    return {"$ref": f"#/components/{kind}/{name}"}


def _error_content(responses: dict) -> dict | None:
    """The body of this operation's other 4xx answers (the API's one error shape)."""
    for code in ("400", "404", "403", "401"):
        if "content" in responses.get(code, {}):
            return responses[code]["content"]
    return None


def document_keys_and_limits(result, generator, request, public):
    components = result.setdefault("components", {})
    headers = components.setdefault("headers", {})
    for name, (description, schema) in HEADERS.items():
        headers[name] = {"description": description, "schema": schema}
    headers[REPLAYED] = {
        "description": "`true` when this is the stored answer to an earlier request "
        "with the same Idempotency-Key.",
        "schema": {"type": "string"},
    }
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            if method == "post":
                # Inline, as drf-spectacular writes every parameter (tools read `in` and `name`).
                operation.setdefault("parameters", []).append(dict(IDEMPOTENCY_PARAMETER))
                content = _error_content(responses)
                for code, description in POST_ANSWERS.items():
                    if code not in responses:
                        responses[code] = {"description": description}
                        if content is not None:
                            responses[code]["content"] = content
            for code, response in responses.items():
                if "$ref" in response:
                    continue
                response_headers = response.setdefault("headers", {})
                for name in HEADERS:
                    response_headers.setdefault(name, _ref("headers", name))
                if method == "post" and code.isdigit() and stores(int(code)):
                    response_headers.setdefault(REPLAYED, _ref("headers", REPLAYED))
    return result
