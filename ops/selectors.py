"""What /readyz reports: each check a small dict with `ok`, read in a few cheap queries.

A failing check says what is wrong in words and, for an exception, its class
name only: /readyz is public, and an exception's text can hold host names,
user names or a DSN.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from roadmap.models import ScoreQuarantine

from . import backlog, heartbeats

QUARANTINE_LISTED = 20
CACHE_PROBE_KEY = "ops:readyz-probe"


def _failed(exc: Exception) -> dict:
    return {"ok": False, "error": type(exc).__name__}


def database_check() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure is the answer, not an error page
        return _failed(exc)
    return {"ok": True}


def cache_check() -> dict:
    """The shared cache answers a write and a read (rescore nudges and heartbeats live there)."""
    token = uuid.uuid4().hex
    try:
        cache.set(CACHE_PROBE_KEY, token, 30)
        answered = cache.get(CACHE_PROBE_KEY) == token
    except Exception as exc:  # any failure is the answer
        return _failed(exc)
    if not answered:
        return {"ok": False, "error": "the cache did not keep a value"}
    return {"ok": True}


def broker_check() -> dict:
    """The broker answers, and how many messages wait in each queue."""
    if heartbeats.eager():
        return {"ok": True, "mode": "eager"}
    try:
        queues = heartbeats.queue_lengths()
    except Exception as exc:  # any failure is the answer
        return _failed(exc)
    return {"ok": True, "queues": queues}


def worker_check() -> dict:
    """A worker consuming each queue has written its heartbeat within the limit."""
    if heartbeats.eager():
        return {"ok": True, "mode": "eager"}
    limit = settings.READYZ_WORKER_MAX_AGE_SECONDS
    ages = heartbeats.worker_ages()
    silent = {q: age for q, age in ages.items() if age is None or age > limit}
    result = {"ok": not silent, "limit_seconds": limit, "last_seen_seconds_ago": ages}
    if silent:
        result["error"] = "no worker has answered for queue " + ", ".join(
            f"{q} ({'never' if age is None else f'{age:.0f} s ago'})" for q, age in silent.items()
        )
    return result


def beat_check() -> dict:
    """The periodic sweep ran within the limit: beat sent it and a worker ran it."""
    if heartbeats.eager():
        return {"ok": True, "mode": "eager"}
    limit = settings.READYZ_BEAT_MAX_AGE_SECONDS
    ran, sent = heartbeats.sweep_age(), heartbeats.beat_sent_age()
    result = {
        "ok": ran is not None and ran <= limit,
        "limit_seconds": limit,
        "sweep_ran_seconds_ago": ran,
        "sweep_sent_seconds_ago": sent,
    }
    if not result["ok"]:
        if sent is None or sent > limit:
            result["error"] = "beat has not sent the sweep: is beat running?"
        else:
            result["error"] = "beat sends the sweep but no worker has run it"
    return result


def backlog_check() -> dict:
    """The priorities' staleness: the oldest unscored work (ops.backlog says how each is aged)."""
    limit = settings.READYZ_STALENESS_MAX_SECONDS
    waiting = backlog.waiting()
    by_kind = {w.kind: w for w in waiting}
    ages = [w.oldest_seconds for w in waiting if w.oldest_seconds is not None]
    oldest = round(max(ages), 1) if ages else None
    result = {
        "ok": oldest is None or oldest <= limit,
        "limit_seconds": limit,
        "oldest_unscored_seconds": oldest,
        "marked_initiatives": by_kind["mark"].count,
        "pending_evidence": by_kind["evidence"].count,
        "full_rescores_waiting": by_kind["full_rescore"].count,
    }
    if not result["ok"]:
        kind = max(waiting, key=lambda w: w.oldest_seconds or 0).kind
        result["error"] = f"unscored work ({kind}) has waited {oldest:.0f} s"
    return result


def quarantine_check() -> dict:
    """Initiatives the rescore could not score (ids only: errors are for `product`).

    Informative: it makes /readyz "degraded", never 503. One bad initiative
    says nothing about whether this node can serve, and a load balancer that
    took every web node out for it would take the whole site down.
    """
    held = list(
        ScoreQuarantine.objects.order_by("-last_failed_at").values_list("initiative_id", flat=True)[
            : QUARANTINE_LISTED + 1
        ]
    )
    count = len(held) if len(held) <= QUARANTINE_LISTED else ScoreQuarantine.objects.count()
    return {"ok": not held, "count": count, "initiatives": held[:QUARANTINE_LISTED]}


# Required: any failing turns /readyz 503. Informative: "degraded" with 200.
# Each name's check is `<name>_check` in this module.
REQUIRED = ("database", "cache", "broker", "worker", "beat", "backlog")
INFORMATIVE = ("quarantine",)
NEEDS_DATABASE = {"backlog", "quarantine"}


def readiness(names: set[str] | None = None) -> tuple[str, dict]:
    """("ok" | "degraded" | "unavailable", the checks), for the named checks or all of them."""
    wanted = [n for n in REQUIRED + INFORMATIVE if names is None or n in names]
    checks: dict[str, dict] = {}
    database_down = False
    for name in wanted:
        check = globals()[f"{name}_check"]
        if name in NEEDS_DATABASE and database_down:
            checks[name] = {"ok": False, "error": "the database is unreachable"}
            continue
        try:
            checks[name] = check()
        except Exception as exc:  # a check that raises has failed; the others still answer
            checks[name] = _failed(exc)
        if name == "database":
            database_down = not checks[name]["ok"]
    if any(not checks[name]["ok"] for name in checks if name in REQUIRED):
        return "unavailable", checks
    if any(not c["ok"] for c in checks.values()):
        return "degraded", checks
    return "ok", checks
