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
from roadmap.scoring import AnchoredReach

from .sql import as_datetime, dumps, ids_param, in_ids_sql, is_postgres, json_rows_sql

NUDGE_KEY = "roadmap:rescore-nudge-pending"
NUDGE_TTL_SECONDS = 30
LAST_RUN_KEY = "roadmap:rescore-last-seconds"
DELTA_COLUMNS = [
    ("id", "bigint"),
    ("weighted", "float8"),
    ("anonymous", "float8"),
    ("customers", "integer"),
    ("anonymous_items", "integer"),
    ("items", "integer"),
]


def initiatives_lock(ids: Iterable[int]) -> dict[int, AnchoredReach | None]:
    """Lock initiatives in id order; return their anchored evidence sums (None: unknown).

    Id order: two ingest batches marking overlapping initiatives in scan order
    deadlocked under load (see docs/PERFORMANCE.md). NO KEY UPDATE, as the
    UPDATE itself takes: it does not conflict with the KEY SHARE locks that
    inserting evidence takes on its initiatives.
    """
    ids = set(ids)
    if not ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, reach_anchor, reach_half_life, reach_weighted, reach_anonymous,"
            " reach_customers, reach_anonymous_items, reach_items FROM roadmap_initiative"
            f" WHERE {in_ids_sql('id')} ORDER BY id"
            + (" FOR NO KEY UPDATE" if is_postgres() else ""),
            [ids_param(ids)],
        )
        rows = cursor.fetchall()
    return {
        iid: None if anchor is None else AnchoredReach(as_datetime(anchor), half_life, *sums)
        for iid, anchor, half_life, *sums in rows
    }


@transaction.atomic(savepoint=False)
def initiatives_mark(
    *,
    ids: Iterable[int] | None = None,
    trigger: str,
    reach_deltas: dict[int, AnchoredReach] | None = None,
    locked: bool = False,
    forget_sums: bool = True,
) -> int:
    """Mark initiatives (all when ids is None) as needing a rescore, then nudge.

    A mark forgets the initiative's anchored evidence sums (the next rescore
    aggregates its evidence), except for those in `reach_deltas`: ingest of new
    evidence adds its terms to the sums it read under `initiatives_lock`
    (anchor and half-life as read; the fields are the amounts to add).
    `forget_sums=False` keeps every initiative's sums: for a rescore that no
    evidence change prompted (the nightly decay run).
    """
    qs = Initiative.objects.all()
    if ids is not None:
        ids = set(ids)
        if not ids:
            return 0
        qs = qs.filter(id__in=ids)
        if not locked:  # the caller holds them (initiatives_lock) already
            initiatives_lock(ids)
    reach_deltas = reach_deltas or {}
    marked = 0
    if ids is None or set(ids) - set(reach_deltas):
        marked = qs.exclude(id__in=list(reach_deltas)).update(
            needs_rescore=True,
            rescore_trigger=trigger,
            mark_version=F("mark_version") + 1,
            **({"reach_anchor": None} if forget_sums else {}),
        )
    if reach_deltas:
        payload = [
            {
                "id": iid,
                "weighted": d.weighted,
                "anonymous": d.anonymous,
                "customers": d.customers,
                "anonymous_items": d.anonymous_items,
                "items": d.items,
            }
            for iid, d in reach_deltas.items()
        ]
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                UPDATE roadmap_initiative
                SET needs_rescore = true, rescore_trigger = %s, mark_version = mark_version + 1,
                    reach_weighted = reach_weighted + v.weighted,
                    reach_anonymous = reach_anonymous + v.anonymous,
                    reach_customers = reach_customers + v.customers,
                    reach_anonymous_items = reach_anonymous_items + v.anonymous_items,
                    reach_items = reach_items + v.items
                FROM {json_rows_sql(DELTA_COLUMNS)}
                WHERE roadmap_initiative.id = v.id
                """,
                [trigger, dumps(payload)],
            )
            marked += cursor.rowcount
    if marked:
        request_rescore()
    return marked


def initiatives_mark_for_key_results(key_result_ids: list[int], trigger: str) -> None:
    """Listener for okrs: key results moved, so rescore what is aligned to them."""
    ids = Alignment.objects.filter(key_result_id__in=key_result_ids).values_list(
        "initiative_id", flat=True
    )
    # Through initiatives_mark: rows locked in id order, as every writer does.
    # Their evidence sums stand: no evidence changed.
    initiatives_mark(ids=set(ids), trigger=trigger, forget_sums=False)


def rescore_took(seconds: float) -> None:
    """Record how long the last rescore run took: the next nudge waits as long."""
    cache.set(LAST_RUN_KEY, seconds, NUDGE_TTL_SECONDS)


def nudge_countdown() -> float:
    """How long a nudge waits: the debounce window, or the last run's length if longer.

    Under a firehose the runs grow (more initiatives claimed each time) and
    would follow each other with no gap, the worker taking a core from ingest.
    Waiting as long as the last run took keeps the worker to at most half
    the time, so bigger, fewer runs share the fixed cost of a re-rank;
    capped by RESCORE_DEBOUNCE_MAX_SECONDS, which bounds the added delay.
    """
    last = cache.get(LAST_RUN_KEY) or 0.0
    return max(settings.RESCORE_DEBOUNCE_SECONDS, min(last, settings.RESCORE_DEBOUNCE_MAX_SECONDS))


def _send_nudge() -> None:
    from roadmap.tasks import recompute_priorities

    # Coalesce: while a nudge is pending (sent, not yet picked up), further
    # commits need not send another; the task clears the key before it claims,
    # so anything marked after that sends a fresh nudge. The short countdown
    # lets a burst of events land in the same run (ignored when eager).
    if cache.add(NUDGE_KEY, 1, NUDGE_TTL_SECONDS):
        recompute_priorities.apply_async(countdown=nudge_countdown())


def request_rescore() -> None:
    """Nudge the recompute task once this transaction commits (once per transaction)."""
    if connection.in_atomic_block and any(
        func is _send_nudge for _, func, _ in connection.run_on_commit
    ):
        return
    transaction.on_commit(_send_nudge)
