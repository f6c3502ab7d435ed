"""Rate-limit headers on every API response (IETF draft-ietf-httpapi-ratelimit-headers).

    RateLimit-Limit: 6000         requests allowed in the window
    RateLimit-Remaining: 5997     of those still free
    RateLimit-Reset: 42           seconds until the oldest counted request leaves
                                  the window (and one more is free)
    RateLimit-Policy: 6000;w=60   the quota and its window in seconds

The throttles are DRF's (a sliding window per account, per address when
anonymous), extended to note what they counted on the request. Responses that
never reached a throttle (a 401, a 413, a replayed idempotent POST) report the
account's or address's current count without adding to it. Where several
throttles apply, the headers describe the one with the fewest requests left.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from rest_framework import throttling
from rest_framework.settings import api_settings

from .authentication import api_account

STATE_ATTRIBUTE = "_priority_rate_limits"


@dataclass(frozen=True)
class Window:
    limit: int
    remaining: int
    reset: int  # seconds
    duration: int  # seconds

    @classmethod
    def of(cls, throttle: throttling.SimpleRateThrottle, history: list[float], now: float):
        live = [t for t in history if t > now - throttle.duration]
        reset = math.ceil(throttle.duration - (now - live[-1])) if live else 0
        return cls(
            limit=throttle.num_requests,
            remaining=max(0, throttle.num_requests - len(live)),
            reset=max(0, reset),
            duration=throttle.duration,
        )


class _Recording:
    """Notes the window this throttle judged the request by, on the Django request."""

    def allow_request(self, request, view):
        allowed = super().allow_request(request, view)
        if self.rate is not None and getattr(self, "key", None) is not None:
            window = Window.of(self, self.history, self.now)
            http_request = getattr(request, "_request", request)
            http_request.__dict__.setdefault(STATE_ATTRIBUTE, []).append(window)
        return allowed


class UserRateThrottle(_Recording, throttling.UserRateThrottle):
    pass


class AnonRateThrottle(_Recording, throttling.AnonRateThrottle):
    pass


def _peek(request) -> list[Window]:
    """The windows the configured throttles would judge `request` by, counting nothing."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        # Answered before the view authenticated it (a slash redirect, a 413):
        # the account is the one the API would have seen.
        request.user = api_account(request) or user or AnonymousUser()
    windows = []
    for throttle_class in api_settings.DEFAULT_THROTTLE_CLASSES:
        throttle = throttle_class()
        if not isinstance(throttle, throttling.SimpleRateThrottle) or throttle.rate is None:
            continue
        key = throttle.get_cache_key(request, None)
        if key is None:
            continue
        now = throttle.timer()
        windows.append(Window.of(throttle, throttle.cache.get(key, []), now))
    return windows


def headers_for(windows: list[Window]) -> dict[str, str]:
    if not windows:
        return {}
    tightest = min(windows, key=lambda w: (w.remaining, w.limit))
    return {
        "RateLimit-Limit": str(tightest.limit),
        "RateLimit-Remaining": str(tightest.remaining),
        "RateLimit-Reset": str(tightest.reset),
        "RateLimit-Policy": f"{tightest.limit};w={tightest.duration}",
    }


class RateLimitHeadersMiddleware:
    """Adds the RateLimit-* headers to every response under /api/."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/api/"):
            windows = getattr(request, STATE_ATTRIBUTE, None) or _peek(request)
            for name, value in headers_for(windows).items():
                response.setdefault(name, value)
        return response
