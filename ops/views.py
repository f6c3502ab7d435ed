"""/healthz (the process answers) and /readyz (it can do its work), for load balancers and people.

/readyz answers 503 when the database or the broker is unreachable: this
process cannot serve. A stale worker heartbeat, a backlog or quarantined
initiatives make it "degraded" with 200: the web process can still serve, and
taking every web node out of rotation would not help; an alert on "degraded"
should page someone.
"""

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from . import selectors


@never_cache
@require_safe
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request):
    checks = {
        "database": selectors.database_check(),
        "broker": selectors.broker_check(),
    }
    if checks["database"]["ok"]:
        checks["worker"] = selectors.worker_check()
        checks["backlog"] = selectors.backlog_check()
        checks["quarantine"] = selectors.quarantine_check()
    serving = checks["database"]["ok"] and checks["broker"]["ok"]
    status = "ok" if all(c["ok"] for c in checks.values()) else "degraded"
    return JsonResponse(
        {"status": status if serving else "unavailable", "checks": checks},
        status=200 if serving else 503,
    )
