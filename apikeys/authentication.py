"""`Authorization: Bearer prio_…`: DRF authentication with API keys and their scopes.

Scopes are checked here, where every API view passes (each view sets its own
permission classes, so a default permission class would not reach them all).
A missing scope is a 403, a bad, revoked or expired key a 401.
"""

from __future__ import annotations

from django.urls import Resolver404, resolve
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request
from rest_framework.settings import api_settings

from .scopes import required_scope
from .services import KeyRefused, api_key_verify

KEYWORD = "Bearer"


def _resolve(path: str):
    try:
        return resolve(path)
    except Resolver404:
        return None


class ApiKeyAuthentication(BaseAuthentication):
    """Authenticates `Authorization: Bearer <key>`; leaves other schemes to the next class.

    `request.auth` is the ApiKey.
    """

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Invalid Authorization header: give `Bearer <key>`, with no spaces in the key."
            )
        try:
            raw = header[1].decode("ascii")
        except UnicodeError:
            raise exceptions.AuthenticationFailed("Invalid API key.") from None
        # The idempotency middleware authenticates the request before its view
        # does; the same request is not looked up (and marked used) twice.
        cached = getattr(request._request, "_priority_api_key", None)
        if cached is not None and cached[0] == raw:
            key = cached[1]
        else:
            try:
                key = api_key_verify(raw)
            except KeyRefused as refusal:
                raise exceptions.AuthenticationFailed(str(refusal)) from None
            request._request._priority_api_key = (raw, key)
        # Before its view (the idempotency middleware), the URL is not resolved yet.
        match = request._request.resolver_match or _resolve(request._request.path_info)
        scope = required_scope(request.method, match.url_name if match else None)
        if scope not in key.scopes:
            raise exceptions.PermissionDenied(
                f"This API key lacks the '{scope}' scope this request needs "
                f"(it has: {', '.join(key.scopes)})."
            )
        return key.user, key

    def authenticate_header(self, request):
        return f'{KEYWORD} realm="api"'


def api_account(request):
    """The account the API's authentication classes find for this Django request, or None.

    For middleware, before (or instead of) a view. Leaves `request.user` as it was.
    """
    session_user = getattr(request, "user", None)
    drf_request = Request(
        request, authenticators=[cls() for cls in api_settings.DEFAULT_AUTHENTICATION_CLASSES]
    )
    try:
        user = drf_request.user
    except exceptions.APIException:
        user = None
    finally:
        # DRF sets request.user as it authenticates; the view authenticates anew.
        if session_user is not None:
            request.user = session_user
    return user if user is not None and user.is_authenticated else None
