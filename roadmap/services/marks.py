"""Marking initiatives for a rescore and nudging Celery after commit.

The mark (`Initiative.needs_rescore`, with `mark_version` bumped) is written in
the caller's transaction: if the change commits, so does the mark. The Celery
message sent after commit is only a nudge; a lost one is caught by the
periodic sweep.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F

from roadmap.models import Alignment, Initiative

NUDGE_KEY = "roadmap:rescore-nudge-pending"
NUDGE_TTL_SECONDS = 30


def initiatives_mark(*, ids: Iterable[int] | None = None, trigger: str) -> int:
    """Mark initiatives (all when ids is None) as needing a rescore, then nudge."""
    qs = Initiative.objects.all()
    if ids is not None:
        ids = set(ids)
        if not ids:
            return 0
        qs = qs.filter(id__in=ids)
        # Lock in id order first: two ingest batches marking overlapping
        # initiatives in scan order deadlocked under load (see docs/PERFORMANCE.md).
        # NO KEY UPDATE, as the UPDATE itself takes: it does not conflict with
        # the KEY SHARE locks that inserting evidence takes on its initiatives.
        list(qs.order_by("id").select_for_update(no_key=True).values_list("id", flat=True))
    marked = qs.update(
        needs_rescore=True, rescore_trigger=trigger, mark_version=F("mark_version") + 1
    )
    if marked:
        request_rescore()
    return marked


def initiatives_mark_for_key_results(key_result_ids: list[int], trigger: str) -> None:
    """Listener for okrs: key results moved, so rescore what is aligned to them."""
    ids = Alignment.objects.filter(key_result_id__in=key_result_ids).values("initiative_id")
    marked = Initiative.objects.filter(id__in=ids).update(
        needs_rescore=True, rescore_trigger=trigger, mark_version=F("mark_version") + 1
    )
    if marked:
        request_rescore()


def _send_nudge() -> None:
    from roadmap.tasks import recompute_priorities

    # Coalesce: while a nudge is pending (sent, not yet picked up), further
    # commits need not send another; the task clears the key before it claims,
    # so anything marked after that sends a fresh nudge. The short countdown
    # lets a burst of events land in the same run (ignored when eager).
    if cache.add(NUDGE_KEY, 1, NUDGE_TTL_SECONDS):
        recompute_priorities.apply_async(countdown=settings.RESCORE_DEBOUNCE_SECONDS)


def request_rescore() -> None:
    """Nudge the recompute task once this transaction commits (once per transaction)."""
    if connection.in_atomic_block and any(
        func is _send_nudge for _, func, _ in connection.run_on_commit
    ):
        return
    transaction.on_commit(_send_nudge)
