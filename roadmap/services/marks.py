"""Marking initiatives for a rescore and nudging the rescore after commit.

The mark (`Initiative.needs_rescore`, with `mark_version` bumped) is written in
the caller's transaction: if the change commits, so does the mark. The Celery
message sent after commit is only a nudge; a lost one is caught by the
periodic sweep.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F

from roadmap.models import Alignment, FullRescore, Initiative

from .causes import key_result_causes, record_cause_rows
from .nudges import RESCORE_REQUESTED, nudge_now
from .sql import ids_param, in_ids_sql, is_postgres

NUDGE_KEY = "roadmap:rescore-nudge-pending"
NUDGE_TTL_SECONDS = 30
LAST_RUN_KEY = "roadmap:rescore-last-seconds"
# Written by each periodic sweep (beat schedules it, a worker runs it): /readyz
# reads its age to tell that both are alive.
SWEEP_HEARTBEAT_KEY = "roadmap:sweep-heartbeat"


def sweep_heartbeat() -> None:
    cache.set(SWEEP_HEARTBEAT_KEY, time.time(), timeout=None)


def _lock_in_id_order(ids: set[int]) -> None:
    """Lock initiatives in id order before marking them.

    Two writers marking overlapping initiatives in scan order deadlocked under
    load (see docs/PERFORMANCE.md); the rescore's write also goes in id order.
    NO KEY UPDATE, as the UPDATE itself takes: it does not conflict with the
    KEY SHARE locks that inserting evidence takes on its initiatives.
    """
    if not is_postgres():
        return  # SQLite locks the whole database for a write
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM roadmap_initiative WHERE {in_ids_sql('id')} ORDER BY id"
            " FOR NO KEY UPDATE",
            [ids_param(ids)],
        )


@transaction.atomic(savepoint=False)
def initiatives_mark(
    *,
    ids: Iterable[int] | None = None,
    trigger: str,
    forget_sums: bool = True,
    nudge: bool = True,
) -> int:
    """Mark initiatives (all when ids is None) as needing a rescore, then nudge.

    A mark forgets the initiative's anchored evidence sums (the next rescore
    aggregates its evidence). `forget_sums=False` keeps them: for a rescore
    that no evidence change prompted (the nightly decay run, a key result
    moving). New evidence is not marked at all: it waits in PendingEvidence.
    `nudge=False` is for a caller that rescores right after: the marks still
    let the sweep finish its work if it dies first.

    All of them is one FullRescore row, not a mark per initiative: the next
    run claims every initiative (`forget_sums`: and aggregates all the
    evidence) and writes only the rows it changes. Returns how many
    initiatives the marks cover.
    """
    if ids is None:
        FullRescore.objects.create(reaggregate=forget_sums, trigger=trigger)
        if nudge:
            request_rescore()
        return Initiative.objects.count()
    ids = set(ids)
    if not ids:
        return 0
    qs = Initiative.objects.filter(id__in=ids)
    _lock_in_id_order(ids)
    marked = qs.update(
        needs_rescore=True,
        rescore_trigger=trigger,
        mark_version=F("mark_version") + 1,
        **({"reach_anchor": None} if forget_sums else {}),
    )
    if marked and nudge:
        request_rescore()
    return marked


def initiatives_mark_for_key_results(key_result_ids: list[int], trigger: str) -> None:
    """Listener for okrs: key results moved, so rescore what is aligned to them, and say why."""
    ids = Alignment.objects.filter(key_result_id__in=key_result_ids).values_list(
        "initiative_id", flat=True
    )
    # Through initiatives_mark: rows locked in id order, as every writer does.
    # Their evidence sums stand: no evidence changed.
    initiatives_mark(ids=set(ids), trigger=trigger, forget_sums=False)
    record_cause_rows(key_result_causes(key_result_ids, trigger))


def rescore_took(seconds: float) -> None:
    """Record how long the last rescore run took: the next nudge waits as long."""
    cache.set(LAST_RUN_KEY, seconds, NUDGE_TTL_SECONDS)


def nudge_countdown() -> float:
    """How long a nudge waits: the debounce window, or the last run's length if longer.

    The wait counts from the nudge, and the nudge is sent by the first commit
    after a run has started (the task clears the pending key as it starts).
    After a quiet spell that leaves a gap as long as the last run; under
    steady ingest the first commit comes right after the start, so the next
    run is due about when this one ends and the runs nearly follow each other
    (66 runs of ~0.4 s in 35 s at 1,000 items/s in the bench: the worker busy
    ~80 % of the time), each claiming what arrived meanwhile. Capped by
    RESCORE_DEBOUNCE_MAX_SECONDS, which bounds the added delay.
    """
    last = cache.get(LAST_RUN_KEY) or 0.0
    return max(settings.RESCORE_DEBOUNCE_SECONDS, min(last, settings.RESCORE_DEBOUNCE_MAX_SECONDS))


def _send_nudge() -> None:
    # Coalesce: while a nudge is pending (sent, not yet picked up), further
    # commits need not send another; the task clears the key before it claims,
    # so anything marked after that sends a fresh nudge. The short countdown
    # lets a burst of events land in the same run (ignored when eager).
    if cache.add(NUDGE_KEY, 1, NUDGE_TTL_SECONDS):
        nudge_now(RESCORE_REQUESTED, nudge_countdown())


def request_rescore() -> None:
    """Nudge the rescore (RESCORE_REQUESTED) once this transaction commits, once per transaction.

    Not `nudge_on_commit`: whether to nudge, and the countdown, are decided at
    commit time (the pending key may have been cleared by a run meanwhile).
    """
    if connection.in_atomic_block and any(
        func is _send_nudge for _, func, _ in connection.run_on_commit
    ):
        return
    transaction.on_commit(_send_nudge)
