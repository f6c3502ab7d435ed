"""What /readyz reports: each check a small dict with `ok`, read in a few cheap queries."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Min
from django.utils import timezone

from config.celery import app as celery_app
from roadmap.models import Evidence, FullRescore, Initiative, PendingEvidence, ScoreQuarantine
from roadmap.services.marks import SWEEP_HEARTBEAT_KEY

QUARANTINE_LISTED = 20


def database_check() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure is the answer, not an error page
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    return {"ok": True}


def broker_check() -> dict:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"ok": True, "mode": "eager (tasks run in the web process)"}
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # any failure is the answer
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    return {"ok": True}


def worker_check() -> dict:
    """The sweep's heartbeat: fresh means beat schedules and a worker runs the default queue."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"ok": True, "mode": "eager"}
    beat = cache.get(SWEEP_HEARTBEAT_KEY)
    limit = max(60.0, 6 * settings.RESCORE_SWEEP_SECONDS)
    if beat is None:
        return {"ok": False, "error": "no sweep has run yet: is a worker with beat running?"}
    age = time.time() - float(beat)
    return {"ok": age <= limit, "last_sweep_seconds_ago": round(age, 1), "limit_seconds": limit}


def backlog_check() -> dict:
    """Unscored work: marked initiatives, evidence waiting to be folded in, full runs asked for."""
    marked = Initiative.objects.filter(needs_rescore=True).count()
    pending = PendingEvidence.objects.count()
    oldest = None
    if pending:
        first = PendingEvidence.objects.order_by("evidence_id").values_list(
            "evidence_id", flat=True
        )[:1]
        created = Evidence.objects.filter(pk__in=first).aggregate(t=Min("created_at"))["t"]
        oldest = round((timezone.now() - created).total_seconds(), 1) if created else None
    return {
        "ok": True,
        "marked_initiatives": marked,
        "pending_evidence": pending,
        "oldest_pending_evidence_seconds": oldest,
        "full_rescores_waiting": FullRescore.objects.count(),
    }


def quarantine_check() -> dict:
    """Initiatives the rescore could not score (ids only: errors are for `product`)."""
    held = list(
        ScoreQuarantine.objects.order_by("-last_failed_at").values_list("initiative_id", flat=True)[
            : QUARANTINE_LISTED + 1
        ]
    )
    count = len(held) if len(held) <= QUARANTINE_LISTED else ScoreQuarantine.objects.count()
    return {"ok": not held, "count": count, "initiatives": held[:QUARANTINE_LISTED]}
