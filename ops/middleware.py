"""The request's id, its log line and its metrics; the probes, answered before any other check.

RequestMiddleware is the outermost middleware: it takes a valid `X-Request-ID`
(ops.context) or makes one, returns it in the response header, and writes one
log line (`priority.request`) and the request metrics (ops.metrics) per
request, labelled by the resolved route's name, never the raw path.

ProbeMiddleware comes next and answers /healthz, /readyz and /metrics itself,
before SecurityMiddleware and CommonMiddleware: no HTTPS redirect, no
ALLOWED_HOSTS check (a load balancer probes a node by its address, not the
site's name), no session. None of the three builds a URL from the Host header,
and /metrics has its own token.
"""

from __future__ import annotations

import logging
import time

from django.utils.encoding import escape_uri_path

from . import metrics
from .context import new_request_id, request_id_var, valid_request_id

try:
    import sentry_sdk
except ImportError:  # pragma: no cover - sentry-sdk is in requirements; Sentry is optional
    sentry_sdk = None

logger = logging.getLogger("priority.request")

PROBE_ROUTES = {"/healthz": "ops:healthz", "/readyz": "ops:readyz", "/metrics": "ops:metrics"}
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_of(request) -> str:
    """The route's name (`roadmap:initiative-detail`): a bounded label, unlike the path."""
    probe = getattr(request, "probe_route", None)
    if probe:
        return probe
    match = getattr(request, "resolver_match", None)
    return match.view_name if match is not None else "unmatched"


class RequestMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = valid_request_id(request.headers.get("X-Request-ID")) or new_request_id()
        request.request_id = request_id
        token = request_id_var.set(request_id)
        if sentry_sdk is not None:
            sentry_sdk.set_tag("request_id", request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            seconds = time.perf_counter() - started
            route = route_of(request)
            method = request.method if request.method in METHODS else "other"
            metrics.request_observe(method, route, response.status_code, seconds)
            probe = getattr(request, "probe_route", None)
            # Probes come every few seconds from each balancer: their lines at
            # DEBUG while they answer 200, so they do not drown the requests.
            level = logging.DEBUG if probe and response.status_code == 200 else logging.INFO
            logger.log(
                level,
                "%s %s %s %.1fms",
                method,
                escape_uri_path(request.path),
                response.status_code,
                seconds * 1000,
                extra={
                    "method": method,
                    "path": escape_uri_path(request.path),
                    "route": route,
                    "status": response.status_code,
                    "duration_ms": round(seconds * 1000, 1),
                },
            )
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


class ProbeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        route = PROBE_ROUTES.get(request.path_info)
        if route is None:
            return self.get_response(request)
        from . import views  # the views read models: imported once the apps are ready

        request.probe_route = route
        view = {"ops:healthz": views.healthz, "ops:readyz": views.readyz}.get(route)
        return (view or views.metrics_view)(request)
