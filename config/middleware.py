"""Request-level guards that must run before any view parses a body."""

import json

from django.conf import settings
from django.http import HttpResponse


class BodySizeLimitMiddleware:
    """Refuse bodies over MAX_REQUEST_BODY_BYTES with 413 and a clear message.

    Judged on Content-Length, so nothing is read; Django's own
    DATA_UPLOAD_MAX_MEMORY_SIZE still guards chunked bodies while parsing.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.MAX_REQUEST_BODY_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            detail = f"Request body is {length} bytes; the limit is {limit} bytes."
            if request.path.startswith("/api/"):
                return HttpResponse(
                    json.dumps({"detail": detail}), status=413, content_type="application/json"
                )
            return HttpResponse(detail, status=413, content_type="text/plain")
        return self.get_response(request)
