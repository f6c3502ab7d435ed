"""Idempotency-Key on every POST under /api/ (see apikeys.idempotency for the rules).

A middleware, not a view mixin, so that every POST under /api/ gets it, whichever
view answers. It needs the account before the view runs, so it authenticates
the request with the API's own authentication classes (the view then reuses
the API key it found). Refusals are raised as DRF exceptions inside a small
DRF view, so the API's exception handler shapes them like every other error.
"""

from __future__ import annotations

import hashlib
import tempfile

from django.conf import settings
from django.http import HttpResponse
from django.http.request import RawPostDataException
from rest_framework import exceptions, status
from rest_framework.views import APIView

from .authentication import api_account
from .idempotency import (
    Outcome,
    fingerprint,
    idempotency_claim,
    idempotency_finish,
    idempotency_release,
    valid_key,
)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"


class IdempotencyKeyInvalid(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The Idempotency-Key header must be 1 to 255 visible ASCII characters."
    default_code = "idempotency_key_invalid"


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = (
        "This Idempotency-Key was already used for a different request (method, path, "
        "query or body). Send a new key with a new request."
    )
    default_code = "idempotency_key_reused"


class IdempotencyKeyInProgress(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = (
        "A request with this Idempotency-Key is still being processed. Retry it shortly: "
        "it will then get that request's answer."
    )
    default_code = "idempotency_key_in_progress"
    wait = 1  # seconds: DRF's handler turns it into Retry-After


class _Refusal(APIView):
    """Raises `refusal` for whatever it is asked, so the API's exception handler shapes it."""

    authentication_classes = ()
    permission_classes = ()
    throttle_classes = ()
    refusal: exceptions.APIException | None = None

    def post(self, request, *args, **kwargs):
        raise self.refusal


def refuse(request, refusal: exceptions.APIException) -> HttpResponse:
    response = _Refusal.as_view(refusal=refusal)(request)
    return response.render()


def _body(request) -> bytes:
    """The request's body, or for a form or a large body, a digest of it.

    A multipart form is parsed already (config.middleware checks it for NUL),
    after which Django keeps no raw body: its fields and files are hashed. A
    body over DATA_UPLOAD_MAX_MEMORY_SIZE (a CSV import may be 64 MB) is hashed
    as it is copied to a spooled temporary file, which the view then reads in
    its place: never whole in memory, never refused as too big for `request.body`.
    """
    if request.content_type == "multipart/form-data":
        return _form_digest(request)
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        if limit is None or length <= limit:
            return request.body
        return _spool(request, limit)
    except RawPostDataException:
        return _form_digest(request)


def _form_digest(request) -> bytes:
    parts = hashlib.sha256(b"multipart\0")
    for name, values in sorted(request.POST.lists()):
        for value in values:
            parts.update(f"{name}={value}\0".encode())
    for name, uploads in sorted(request.FILES.lists()):
        for upload in uploads:
            parts.update(f"{name}:{upload.name}\0".encode())
            for chunk in upload.chunks():
                parts.update(chunk)
            upload.seek(0)
    return parts.hexdigest().encode()


def _spool(request, in_memory: int) -> bytes:
    spool = tempfile.SpooledTemporaryFile(max_size=in_memory)  # noqa: SIM115 - the view reads it
    digest = hashlib.sha256(b"stream\0")
    while block := request.read(64 * 1024):
        digest.update(block)
        spool.write(block)
    spool.seek(0)
    # The view reads the request's stream from its start again: the spooled copy.
    request._stream = spool
    request._read_started = False
    return digest.hexdigest().encode()


def _replay(record) -> HttpResponse:
    response = HttpResponse(bytes(record.body), status=record.status_code)
    for name, value in record.headers.items():
        response[name] = value
    response[REPLAYED_HEADER] = "true"
    return response


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.headers.get(HEADER)
        if key is None or request.method != "POST" or not request.path.startswith("/api/"):
            return self.get_response(request)
        if not valid_key(key):
            return refuse(request, IdempotencyKeyInvalid())
        body = _body(request)
        user = api_account(request)
        if user is None:  # the view refuses it (401 or 403); nothing to remember
            return self.get_response(request)
        claim = idempotency_claim(
            user=user,
            key=key,
            fingerprint=fingerprint(
                method=request.method,
                path=request.path,
                query=request.META.get("QUERY_STRING", ""),
                content_type=request.content_type or "",
                body=body,
            ),
            method=request.method,
            path=request.path,
        )
        if claim.outcome is not Outcome.RUN:
            # Answered here, without a view: the account is the API's, for the
            # RateLimit-* headers (apikeys.ratelimit) and the request log.
            request.user = user
        if claim.outcome is Outcome.REPLAY:
            return _replay(claim.record)
        if claim.outcome is Outcome.MISMATCH:
            return refuse(request, IdempotencyKeyReused())
        if claim.outcome is Outcome.IN_PROGRESS:
            return refuse(request, IdempotencyKeyInProgress())
        try:
            response = self.get_response(request)
        except BaseException:
            idempotency_release(record=claim.record)
            raise
        idempotency_finish(record=claim.record, response=response)
        return response
