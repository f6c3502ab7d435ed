"""Initiatives a rescore could not score: recorded, released when they score again.

A run scores each claimed initiative on its own; one that raises is left out
of the run (see roadmap.models.ScoreQuarantine) so that every other initiative
is still scored. Called by the rescore inside its transaction.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db.models import F

from roadmap.models import ScoreQuarantine

logger = logging.getLogger(__name__)

MAX_ERROR_CHARS = 2_000


def describe(exc: BaseException) -> str:
    """The error as a person reads it: its type and message, bounded."""
    return f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]


def quarantine_record(*, failures: dict[int, str], now: datetime) -> None:
    """Record (or count again) each failed initiative with its error."""
    if not failures:
        return
    for initiative_id, error in failures.items():
        logger.error("rescore: initiative %s quarantined: %s", initiative_id, error)
    known = set(
        ScoreQuarantine.objects.filter(initiative_id__in=failures).values_list(
            "initiative_id", flat=True
        )
    )
    for initiative_id in known:
        ScoreQuarantine.objects.filter(initiative_id=initiative_id).update(
            error=failures[initiative_id], attempts=F("attempts") + 1, last_failed_at=now
        )
    ScoreQuarantine.objects.bulk_create(
        ScoreQuarantine(
            initiative_id=initiative_id, error=error, first_failed_at=now, last_failed_at=now
        )
        for initiative_id, error in failures.items()
        if initiative_id not in known
    )


def quarantine_release(*, scored: set[int]) -> int:
    """Release initiatives that scored in this run. One small read when none is held."""
    held = set(ScoreQuarantine.objects.values_list("initiative_id", flat=True))
    released = held & scored
    if released:
        ScoreQuarantine.objects.filter(initiative_id__in=released).delete()
    return len(released)
