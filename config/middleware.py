"""Request-level guards that must run before any view parses a body."""

from django.conf import settings
from django.http import HttpResponse

from api.errors import API_PREFIX, problem_response

# Every real URL of the app is far shorter; gunicorn refuses request lines over
# 4,094 bytes anyway, and this keeps the development server to the same bound.
MAX_QUERY_STRING_CHARS = 4_000
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# CSV uploads (the API's and the browser's) take files up to CSV_IMPORT_MAX_BYTES.
UPLOAD_PATHS = ("/api/v1/imports/", "/imports/")


def refusal(request, status: int, detail: str, *, code: str) -> HttpResponse:
    """The answer to a refused request: a problem (api.errors) under /api/, text for pages."""
    if request.path.startswith(API_PREFIX):
        return problem_response(status, detail, code=code)
    return HttpResponse(detail, status=status, content_type="text/plain; charset=utf-8")


class BodySizeLimitMiddleware:
    """Refuse bodies over MAX_REQUEST_BODY_BYTES (CSV_IMPORT_MAX_BYTES for an import)
    with 413 and a clear message.

    Judged on Content-Length, so nothing is read; Django's own
    DATA_UPLOAD_MAX_MEMORY_SIZE still guards chunked bodies while parsing.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit, what = settings.MAX_REQUEST_BODY_BYTES, "the limit is"
        if request.path.startswith(UPLOAD_PATHS):
            # The form around the file takes a few hundred bytes.
            limit = settings.CSV_IMPORT_MAX_BYTES + 64 * 1024
            what = "a CSV import (CSV_IMPORT_MAX_BYTES, with its form) takes at most"
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            return refusal(
                request,
                413,
                f"Request body is {length} bytes; {what} {limit} bytes.",
                code="too_large",
            )
        return self.get_response(request)


class NulAndQueryLimitMiddleware:
    """Refuse NUL bytes in the path, the query string and form bodies, and huge query strings.

    PostgreSQL cannot hold NUL in a text value: a NUL that reaches a query is a
    500 (`/api/v1/metrics/%00/`). Nothing the app serves has a use for one, so
    it is refused here with a 400, once for every view. JSON bodies are checked
    by the API's parser (api.parsers); a form body, raw or %00-encoded, here.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        problem = self._problem(request)
        if problem:
            return refusal(request, 400, problem, code="bad_request")
        return self.get_response(request)

    @staticmethod
    def _problem(request) -> str:
        if "\x00" in request.path:
            return "The URL path contains a NUL character."
        query = request.META.get("QUERY_STRING", "")
        if len(query) > MAX_QUERY_STRING_CHARS:
            return f"The query string is over {MAX_QUERY_STRING_CHARS} characters."
        if "%00" in query or "\x00" in query:
            return "The query string contains a NUL character."
        content_type = request.content_type or ""
        if content_type == FORM_TYPES[0] and (b"%00" in request.body or b"\x00" in request.body):
            return "The form contains a NUL character."
        if content_type == FORM_TYPES[1] and request.method == "POST":
            values = (v for key, vs in request.POST.lists() for v in (key, *vs))
            if any("\x00" in value for value in values):
                return "The form contains a NUL character."
        return ""
