"""Every error under /api/ as one shape: RFC 9457 `application/problem+json`.

    {"type": "urn:priority:problem:validation-error", "title": "Bad Request",
     "status": 400, "detail": "received_at: Enter a valid date and time.",
     "errors": [{"pointer": "/3/received_at", "code": "invalid",
                 "detail": "Enter a valid date and time."}]}

- `type` names the kind of problem (`urn:priority:problem:` + DRF's error
  code, `validation-error` for a 400 with field errors); `title` is the HTTP
  status phrase; `detail` says what went wrong in a sentence.
- `errors` is always present (empty when no field is at fault). Each entry has
  a `code` (DRF's: `required`, `invalid`, `max_value`, `unknown_parameter` ...),
  a `detail` and where the fault is: `pointer`, an RFC 6901 JSON pointer into
  the request body (a batch keeps the index of the bad item: `/3/received_at`;
  `""` is the body as a whole), or `parameter` (a query parameter) or `header`.
- A 409 for a stale version carries `current`, the object as it is now.

DRF's views answer through `exception_handler` (REST_FRAMEWORK["EXCEPTION_HANDLER"]);
Django's own 400/403/404/500 under /api/ (an unknown URL, an uncaught
exception) through the `handler*` views that config.urls names; the request
guards in config.middleware through `problem_response`. Pages outside /api/
keep Django's HTML error pages.
"""

from __future__ import annotations

import json
from http import HTTPStatus

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse
from django.views import defaults
from rest_framework import exceptions
from rest_framework.settings import api_settings
from rest_framework.utils.encoders import JSONEncoder
from rest_framework.views import set_rollback

CONTENT_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:priority:problem:"
API_PREFIX = "/api/"


def problem_type(code: str) -> str:
    """The `type` URI of a problem from its code (`not_found` -> ...:not-found)."""
    return TYPE_PREFIX + code.replace("_", "-")


def problem_body(
    status: int,
    detail: str,
    *,
    code: str | None = None,
    errors: list[dict] | None = None,
    **extra,
) -> dict:
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    return {
        "type": problem_type(code or phrase.lower().replace(" ", "_")),
        "title": phrase,
        "status": status,
        "detail": detail,
        "errors": errors or [],
        **extra,
    }


class ProblemResponse(HttpResponse):
    """A rendered problem; `render()` is there for code that renders DRF responses."""

    def render(self):
        return self


def problem_response(
    status: int,
    detail: str,
    *,
    code: str | None = None,
    errors: list[dict] | None = None,
    headers: dict | None = None,
    **extra,
) -> HttpResponse:
    """A problem+json answer; for code outside DRF's views (middleware, Django handlers)."""
    body = problem_body(status, detail, code=code, errors=errors, **extra)
    response = ProblemResponse(
        json.dumps(body, cls=JSONEncoder), status=status, content_type=CONTENT_TYPE
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


class StaleVersionConflict(exceptions.APIException):
    """409: the client's version is stale; the answer carries the object as it is now."""

    status_code = 409
    default_code = "stale_version"
    default_detail = "This object was changed by someone else."

    def __init__(self, detail=None, *, current: dict):
        super().__init__(detail)
        self.current = current


class BatchInvalid(exceptions.ValidationError):
    """A 400 for an ingest list: errors keyed by item index, with a summary sentence."""

    def __init__(self, errors: dict, *, summary: str):
        super().__init__(errors)
        self.summary = summary


# --- field errors ------------------------------------------------------------


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _leaves(node, path: tuple[str, ...]):
    """(path, ErrorDetail) for each message in DRF's nested error structure."""
    if isinstance(node, dict):
        for key, value in node.items():
            inner = () if key == api_settings.NON_FIELD_ERRORS_KEY else (str(key),)
            yield from _leaves(value, path + inner)
    elif isinstance(node, list | tuple):
        if all(isinstance(item, str) for item in node):
            for item in node:
                yield path, item
        else:  # a nested list serializer: one entry per item, empty for a good one
            for index, item in enumerate(node):
                yield from _leaves(item, (*path, str(index)))
    else:
        yield path, node


def _location(path: tuple[str, ...], request) -> dict:
    """Where the fault is: a query parameter, a header, or a pointer into the body."""
    if path and request is not None:
        name = path[0]
        data = getattr(request, "_full_data", None)
        in_body = hasattr(data, "keys") and name in data
        if not in_body and name in request.query_params:
            return {"parameter": name}
    if len(path) == 1 and request is not None:
        name = path[0]
        # Field names use underscores; a header's name has a dash (If-Match).
        if not in_body and "-" in name and name in request.headers:
            return {"header": name}
    return {"pointer": "".join("/" + _escape(token) for token in path)}


def field_errors(detail, request=None) -> list[dict]:
    """DRF's error detail (dict, list or string, nested any depth) as `errors` entries."""
    return [
        {
            **_location(path, request),
            "code": getattr(message, "code", None) or "invalid",
            "detail": str(message),
        }
        for path, message in _leaves(detail, ())
    ]


def _summary(errors: list[dict]) -> str:
    if len(errors) == 1:
        entry = errors[0]
        where = entry.get("parameter") or entry.get("header") or entry.get("pointer", "")
        where = where.removeprefix("/")
        return f"{where}: {entry['detail']}" if where else entry["detail"]
    return f"{len(errors)} problems with the request; see `errors`. Nothing was written."


# --- DRF's exception handler -------------------------------------------------


def exception_handler(exc, context):
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: every APIException as a problem; others -> 500."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    if not isinstance(exc, exceptions.APIException):
        return None
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    extra = {}
    request = context.get("request")
    if isinstance(exc, exceptions.ValidationError):
        errors = field_errors(exc.detail, request)
        code = "validation_error"
        detail = getattr(exc, "summary", None) or _summary(errors)
    else:
        errors = []
        code = getattr(exc.detail, "code", None) or exc.default_code
        detail = str(exc.detail)
        if isinstance(exc, StaleVersionConflict):
            extra["current"] = exc.current
            headers["ETag"] = f'"{exc.current["version"]}"'
    set_rollback()
    return problem_response(
        exc.status_code, detail, code=code, errors=errors, headers=headers, **extra
    )


# --- Django's error views (config.urls handler400/403/404/500) ---------------


def _is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def bad_request(request, exception):
    if _is_api(request):
        return problem_response(400, "The request could not be read.", code="bad_request")
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if _is_api(request):
        return problem_response(403, "You may not do this.", code="permission_denied")
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    if _is_api(request):
        return problem_response(
            404, f"There is no API resource at {request.path}.", code="not_found"
        )
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _is_api(request):
        return problem_response(
            500,
            "Something went wrong on our side; it has been logged. Try again later.",
            code="server_error",
        )
    return defaults.server_error(request)
