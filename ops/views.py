"""/healthz, /readyz and /metrics: for load balancers, monitors and Prometheus.

Answered by ops.middleware.ProbeMiddleware before the HTTPS redirect, the
ALLOWED_HOSTS check and the session (see there); the same views are in
ops.urls.

- /healthz is liveness: 200 at once, no database, no cache.
- /readyz is readiness of the whole system: 503 when any required check
  fails: the database, the cache, the broker, a worker heartbeat on every
  queue, beat's sweep, or unscored work older than READYZ_STALENESS_MAX_SECONDS
  (ops.selectors). Quarantined initiatives only make it "degraded" (200).
  `?checks=database,cache` runs only those checks: a load balancer deciding
  whether to send requests to this web node may want only what the node
  needs, since a dead worker makes every node's full /readyz red, and taking
  every node out of rotation would not bring the worker back.
- /metrics is Prometheus' text format (ops.metrics). With METRICS_TOKEN set it
  needs `Authorization: Bearer <token>`; without one it answers only where
  METRICS_WITHOUT_TOKEN is true (development and tests), else 404.
"""

import hmac

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from . import metrics, selectors


@never_cache
@require_safe
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request):
    names = None
    if request.GET.get("checks"):
        names = {name.strip() for name in request.GET["checks"].split(",")}
        unknown = names - set(selectors.REQUIRED) - set(selectors.INFORMATIVE)
        if unknown:
            return JsonResponse(
                {"detail": f"Unknown checks: {', '.join(sorted(unknown))}."[:300]}, status=400
            )
    status, checks = selectors.readiness(names)
    response = JsonResponse(
        {"status": status, "checks": checks}, status=503 if status == "unavailable" else 200
    )
    # Not an error to log and mail to ADMINS at every probe while a worker is
    # down: the request line says 503, and monitoring alerts on it.
    response._has_been_logged = True
    return response


@never_cache
@require_safe
def metrics_view(request):
    token = settings.METRICS_TOKEN
    if not token:
        if not settings.METRICS_WITHOUT_TOKEN:
            raise Http404
    else:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            response = HttpResponse("A valid bearer token is required.\n", status=401)
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    return HttpResponse(metrics.exposition(), content_type=metrics.CONTENT_TYPE)
