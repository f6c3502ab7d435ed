"""The set-based rescore: claim, fold pending evidence in, score, rank, snapshot.

One transaction does all of it, so a worker that dies half-way rolls back and
leaves the marks, pending evidence and FullRescore rows in place for the next
run (redelivery or the sweep). Running it twice in a row changes nothing the
second time, and a full one writes no initiative row the second time.

Each initiative keeps its evidence sums at an anchor (scoring.AnchoredReach):
new items (PendingEvidence) are folded into them, and initiatives whose sums
are unknown are aggregated in SQL (distinct customers, segment weight, decay
by age of the newest evidence), both read at one snapshot. The
per-initiative arithmetic runs through the pure functions in roadmap.scoring
so there is one definition of the formula; ranks are sorted here, and scores,
sums and ranks go back in one UPDATE ... FROM rows sent by COPY.
"""

# Raw SQL: only fixed fragments chosen by vendor are interpolated; every value is a
# bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import gc
import math
import queue
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from operator import attrgetter, itemgetter

import psycopg
from django.conf import settings
from django.core.cache import cache
from django.db import connection, connections, transaction
from django.utils import timezone

from roadmap import scoring
from roadmap.models import Initiative, RecomputeRun

from ..nudges import PRIORITY_CHANGED, nudge_on_commit
from ..quarantine import describe, quarantine_record, quarantine_release
from ..read_cache import priorities_changed
from ..sql import as_datetime, copy_escape, copy_line, db_timestamp, ids_param, in_ids_sql
from ..sql import dumps as _dumps
from ..sql import is_postgres as _is_postgres
from ..sql import json_rows_sql as _json_rows_sql

RANKED = tuple(str(s) for s in Initiative.RANKED_STATUSES)
ADVISORY_LOCK_KEY = 7_302_001  # any constant; serializes rescoring on PostgreSQL
AGGREGATE_ALL_ABOVE = 2_000  # claimed initiatives; see initiatives_rescore_marked


def scoring_policy() -> scoring.ScoringPolicy:
    return scoring.ScoringPolicy(
        half_life_days=settings.PRIORITY_EVIDENCE_HALF_LIFE_DAYS,
        alignment_floor=settings.PRIORITY_ALIGNMENT_FLOOR,
    )


@dataclass(frozen=True)
class RescoreResult:
    claimed: int
    changed_ids: list[int]
    snapshot_ids: list[int]
    seconds: float = 0.0


def _ids_filter(column: str, ids: list[int] | None) -> tuple[str, list]:
    """SQL (and its parameter) keeping rows whose `column` is in `ids`; None keeps all."""
    if ids is None:
        return f"{column} IS NOT NULL", []
    return in_ids_sql(column), [ids_param(ids)]


def _age_days_sql(column: str) -> str:
    """Age in days of `column` at the epoch given as the next parameter, never negative."""
    if _is_postgres():
        # date_part returns float8; EXTRACT returns numeric, whose POWER is ~10x slower.
        return f"GREATEST((%s - date_part('epoch', {column})) / 86400.0, 0)"
    return f"MAX((%s - (julianday({column}) - 2440587.5) * 86400.0) / 86400.0, 0)"


# Half-lives past which an item's weight is taken as 0.5 ** this (~1e-301):
# PostgreSQL's POWER raises on underflow instead of returning 0, so an item
# dated centuries ago (stored before dates were bounded) would fail every run.
DECAY_MAX_HALF_LIVES = 1000.0


def _decay_sql(column: str) -> str:
    """0.5 ** (age of `column` / half-life): parameters the epoch, then the half-life.

    Never raises on any stored date, on either backend: the exponent has a ceiling.
    """
    smaller = "LEAST" if _is_postgres() else "MIN"
    return f"POWER(0.5, {smaller}({_age_days_sql(column)} / %s, {DECAY_MAX_HALF_LIVES}))"


def _tune(cursor) -> None:
    """Planner settings for the aggregate, for this transaction only (PostgreSQL)."""
    cursor.execute("SET LOCAL work_mem = %s", [settings.RESCORE_WORK_MEM])
    # The planner underestimates the (initiative, customer) groups ~3x and
    # picks a HashAggregate that spills (1.3 s at 10k x 1M); the streaming
    # GroupAggregate over the covering index takes ~0.3 s. JIT only adds
    # compile time to a query that runs once. See docs/PERFORMANCE.md.
    cursor.execute("SET LOCAL enable_hashagg = off")
    cursor.execute("SET LOCAL jit = off")
    # A rescore lost in a crash (its commit not yet flushed) is lost with its
    # mark clears: the marks are still set and the next run redoes it. Not
    # waiting for the flush takes ~40 ms off every run (10k rows of WAL).
    cursor.execute("SET LOCAL synchronous_commit = off")


# The initiatives with new evidence waiting: an index probe per pending row.
PENDING_INITIATIVES = (
    "SELECT (SELECT e.initiative_id FROM roadmap_evidence e WHERE e.id = p.evidence_id)"
    " FROM roadmap_pendingevidence p"
)
CLAIM_COLUMNS = (
    # What prompted it: its mark, else its pending evidence, else the full rescore.
    "id, CASE WHEN needs_rescore THEN rescore_trigger {trigger} END, mark_version, needs_rescore,"
    # Its evidence sums must be aggregated: asked for, unknown, or for another half-life.
    " %s OR reach_anchor IS NULL OR reach_half_life IS NULL OR reach_half_life <> %s,"
    " reach_source, reach, impact, confidence, effort, priority_score, rank, evidence_count,"
    " scored_at IS NULL, {anchor}, reach_half_life, reach_weighted, reach_anonymous,"
    " reach_customers, reach_anonymous_items, reach_items"
)


def _begin(cursor) -> list[tuple]:
    """Take the rescore lock and read the FullRescore rows asked for: (id, reaggregate, trigger)."""
    if _is_postgres():
        # One rescore at a time: a second worker waits, then finds what is left.
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
        _tune(cursor)
    cursor.execute("SELECT id, reaggregate, trigger FROM roadmap_fullrescore ORDER BY id")
    return cursor.fetchall()


def _claim(cursor, requests: list[tuple]) -> list[tuple]:
    """The marked initiatives, and those with pending evidence, read without locking them.

    Every initiative while a FullRescore is asked for (`requests`, from
    `_begin`). Ingest marks initiatives all the time; locking them here for
    the whole run made every ingest touching one of them wait for the
    rescore. The rows are locked only by the write at the end (`_write`), and
    a mark that arrives meanwhile moves `mark_version`, so the write leaves
    it set. Each row: (id, trigger, mark_version, marked, stale,
    reach_source, reach, impact, confidence, effort, priority_score, rank,
    evidence_count, never_scored, and the anchored sums: anchor, half-life,
    weighted, anonymous, customers, anonymous items, items).
    """
    # The anchor as epoch seconds on PostgreSQL: parsing 10,000 timestamps cost ~0.1 s.
    anchor = "date_part('epoch', reach_anchor)" if _is_postgres() else "reach_anchor"
    half_life = settings.PRIORITY_EVIDENCE_HALF_LIFE_DAYS
    if requests:
        trigger = f"WHEN id IN ({PENDING_INITIATIVES}) THEN 'evidence' ELSE %s"
        params = [
            _dominant_trigger(row[2] for row in requests),
            any(row[1] for row in requests),
            half_life,
        ]
        where = "true"
    else:
        trigger, params = "ELSE 'evidence'", [False, half_life]
        where = f"needs_rescore OR id IN ({PENDING_INITIATIVES})"
    columns = CLAIM_COLUMNS.format(trigger=trigger, anchor=anchor)
    return _fetch_numbers(
        cursor, f"SELECT {columns} FROM roadmap_initiative WHERE {where} ORDER BY id", params
    )


def _fetch_numbers(cursor, sql: str, params: list) -> list[tuple]:
    """All rows of a query that returns numbers, booleans and short text.

    On PostgreSQL in binary: psycopg turns 10,000 claimed rows of 20 values
    into Python in ~10 ms, ~22 ms from text, on the run's critical path.
    Binary results need server-side parameters: a plain psycopg cursor on
    the same connection (Django's cursors bind on the client).
    """
    if not _is_postgres():
        cursor.execute(sql, params)
        return cursor.fetchall()
    with psycopg.Cursor(cursor.connection) as binary:
        binary.execute(sql, params, binary=True)
        return binary.fetchall()


def _reach_aggregates(
    cursor, ids: list[int] | None, now: datetime, half_life: float
) -> dict[int, Sums]:
    """One pass over the evidence, grouped in SQL (SQLite; PostgreSQL: `_reach_sql_pg`).

    Per initiative: (segment-weighted decayed customers, distinct customers,
    decayed items without a customer, items without a customer, all items).
    """
    where, params = _ids_filter("e.initiative_id", ids)
    epoch = now.timestamp()
    cursor.execute(
        f"""
        WITH pc AS (
            SELECT e.initiative_id, e.customer_id, MAX(e.received_at) AS newest,
                   COUNT(*) AS items,
                   SUM(CASE WHEN e.customer_id IS NULL
                            THEN {_decay_sql("e.received_at")} END) AS anon
            FROM roadmap_evidence e
            WHERE {where}
            GROUP BY e.initiative_id, e.customer_id
        )
        SELECT pc.initiative_id,
               SUM(CASE WHEN pc.customer_id IS NOT NULL
                        THEN COALESCE(s.weight, %s)
                             * {_decay_sql("pc.newest")} END),
               COUNT(pc.customer_id),
               SUM(pc.anon),
               SUM(CASE WHEN pc.customer_id IS NULL THEN pc.items END),
               SUM(pc.items)
        FROM pc
        LEFT JOIN roadmap_customer c ON c.id = pc.customer_id
        LEFT JOIN roadmap_segment s ON s.id = c.segment_id
        GROUP BY pc.initiative_id
        """,
        [
            epoch,
            half_life,
            *params,
            scoring.DEFAULT_POLICY.default_segment_weight,
            epoch,
            half_life,
        ],
    )
    return {row[0]: _sums(row) for row in cursor.fetchall()}


Sums = tuple[float, int, float, int, int]
NO_EVIDENCE: Sums = (0.0, 0, 0.0, 0, 0)


def _sums(row) -> Sums:
    return (
        float(row[1] or 0),
        int(row[2] or 0),
        float(row[3] or 0),
        int(row[4] or 0),
        int(row[5] or 0),
    )


def _anchored_fields(sums: Sums, anchor, half_life: float) -> dict:
    """Aggregated sums, stored as anchored at this run's `now` (the factor there is 1)."""
    from_customers, customers, anonymous, anonymous_items, items = sums
    return {
        "anchored": True,
        "reach_anchor": anchor,
        "reach_half_life": half_life,
        "reach_weighted": from_customers,
        "reach_anonymous": anonymous,
        "reach_customers": customers,
        "reach_anonymous_items": anonymous_items,
        "reach_items": items,
    }


def _same_sums(stored: list | tuple, sums: Sums, now: datetime) -> bool:
    """Whether aggregated `sums` are what the stored anchored sums already say at `now`.

    Then the run need not re-anchor them (nor write the row for it): a full
    rescore aggregates every initiative, and most sums it finds are the kept
    ones, decayed.
    """
    if stored[0] is None or stored[1] != settings.PRIORITY_EVIDENCE_HALF_LIFE_DAYS:
        return False
    if sums is NO_EVIDENCE:
        return not any(stored[2:])
    anchor, half_life, weighted, anonymous, customers, anonymous_items, items = stored
    from_customers, customers_now, anonymous_now, anonymous_items_now, items_now = sums
    if (customers, anonymous_items, items) != (customers_now, anonymous_items_now, items_now):
        return False
    # What scoring.reach_at says, on floats: building its datetimes and
    # dataclass for each of 10,000 initiatives was ~8 us apiece.
    anchor = anchor if isinstance(anchor, float) else as_datetime(anchor).timestamp()
    factor = scoring.anchored_factor(now.timestamp() - anchor, half_life)
    return math.isclose(
        weighted * factor, from_customers, rel_tol=1e-9, abs_tol=1e-12
    ) and math.isclose(anonymous * factor, anonymous_now, rel_tol=1e-9, abs_tol=1e-12)


def _stored_sums(stored: list | tuple) -> scoring.AnchoredReach:
    anchor, half_life, weighted, anonymous, customers, anonymous_items, items = stored
    anchor = (
        datetime.fromtimestamp(anchor, UTC) if isinstance(anchor, float) else as_datetime(anchor)
    )
    return scoring.AnchoredReach(
        anchor, half_life, weighted, anonymous, customers, anonymous_items, items
    )


# Per pending row, index probes only: the row's item by id, its customer's
# segment weight, the pair's newest folded item. Written as LATERAL and scalar
# subqueries (LIMIT keeps the lateral one from being flattened into a join)
# so the planner cannot swap the probes for a scan of all the evidence and a
# hash join, as it did from the pending table's stale
# statistics (1.2 s instead of ~0.2 s for 15,000 rows).
PENDING_SQL = """
    SELECT p.evidence_id, e.initiative_id, e.customer_id, e.received_at,
           (SELECT s.weight FROM roadmap_customer c
            JOIN roadmap_segment s ON s.id = c.segment_id WHERE c.id = e.customer_id),
           (SELECT MAX(o.received_at) FROM roadmap_evidence o
            WHERE o.initiative_id = e.initiative_id AND o.customer_id = e.customer_id
              AND NOT EXISTS (
                  SELECT 1 FROM roadmap_pendingevidence q WHERE q.evidence_id = o.id))
    FROM roadmap_pendingevidence p
    {item}
"""
PENDING_ITEM = {
    "postgresql": "LEFT JOIN LATERAL (SELECT initiative_id, customer_id, received_at"
    " FROM roadmap_evidence WHERE id = p.evidence_id LIMIT 1) e ON true",
    "sqlite": "LEFT JOIN roadmap_evidence e ON e.id = p.evidence_id",  # no LATERAL there
}


def _pending_rows(cursor, claimed: list[int] | None) -> list[tuple]:
    """New evidence waiting to be folded in (see PendingEvidence), for the claimed initiatives.

    Each row: (evidence id, initiative id, customer id, received_at, segment
    weight, and the newest received_at of the same initiative and customer
    among the evidence already in the sums, i.e. not pending). Rows of
    deleted or unlinked items come too (initiative id None), to be dropped.
    Items of initiatives not claimed (committed since the claim) are left for
    the next run; filtered here, as `= ANY` of 10,000 ids costs a scan of the
    array per row.
    """
    cursor.execute(PENDING_SQL.format(item=PENDING_ITEM[connection.vendor]))
    if claimed is None:  # everything is claimed
        return cursor.fetchall()
    wanted = set(claimed)
    return [row for row in cursor.fetchall() if row[1] is None or row[1] in wanted]


def _fold(sums: scoring.AnchoredReach, items: list[tuple], now: datetime) -> scoring.AnchoredReach:
    """What pending items (customer, received_at, weight, newest before) add to `sums`.

    An item dated after `now` (another machine's clock, seconds ahead) counts
    as of `now`, as the aggregate counts it; ingest sends items dated later
    than that to the aggregate.
    """
    newest = {}
    signals = []
    for customer_id, received_at, weight, before in items:
        if customer_id is not None and before is not None:
            newest[customer_id] = as_datetime(before)
        signals.append(
            scoring.EvidenceSignal(
                received_at=min(as_datetime(received_at), now),
                customer_id=customer_id,
                segment_weight=None if weight is None else float(weight),
            )
        )
    return scoring.reach_delta(sums, signals, newest)


def _folded_fields(delta: scoring.AnchoredReach) -> dict:
    """Pending items' terms, added to the stored sums by the write."""
    return {
        "anchored": False,
        "folded": True,
        "reach_weighted": delta.weighted,
        "reach_anonymous": delta.anonymous,
        "reach_customers": delta.customers,
        "reach_anonymous_items": delta.anonymous_items,
        "reach_items": delta.items,
    }


def _streams() -> bool:
    """Whether evidence is read on a second connection (see `_evidence_reads`)."""
    return _is_postgres() and len(connection.atomic_blocks) == 1


def _evidence_reads(
    claimed: list[int], scope: list[int] | None, aggregate: bool, now: datetime, half_life: float
) -> tuple[list[tuple], Iterator[tuple]]:
    """(pending items, aggregate rows), both read at one snapshot of the evidence.

    The aggregate rows are (initiative id, sums) in initiative id order, for
    the initiatives in `scope` (None: all) with evidence; none unless
    `aggregate`. One snapshot: an item committed between two reads would be
    counted by the aggregate and, still pending, folded in again later.

    On PostgreSQL, in the worker's transaction (the outermost), both are read
    on a second connection that imports this transaction's snapshot (an
    aggregate of everything on RESCORE_AGGREGATE_STREAMS connections, each a
    range of initiatives): the aggregate is streamed, so PostgreSQL
    aggregates in its own processes while this one reads the alignments and
    scores each initiative as its sums arrive. In a caller's transaction (a
    test, an eager task inside a request) and on SQLite both are read here,
    one statement after the other.
    """
    if _streams():
        return _evidence_reads_streamed(claimed, scope, aggregate, now, half_life)
    with connection.cursor() as cursor:
        pending = _pending_rows(cursor, claimed)
        if not aggregate:
            return pending, iter(())
        if _is_postgres():
            cursor.execute(*_reach_sql_pg(scope, now, half_life))
            return pending, iter([(row[0], _sums(row)) for row in cursor.fetchall()])
        sums = _reach_aggregates(cursor, scope, now, half_life)
    return pending, iter(sorted(sums.items()))


SNAPSHOT_ID = re.compile(r"^[0-9A-F]+-[0-9A-F]+-[0-9]+$")


def _export_snapshot(cursor) -> str:
    cursor.execute("SELECT pg_export_snapshot()")
    snapshot = cursor.fetchone()[0]
    if not SNAPSHOT_ID.match(snapshot):  # it goes into SQL as a literal
        raise RuntimeError(f"unexpected snapshot id {snapshot!r}")
    return snapshot


_DONE = object()


def _at_snapshot(
    snapshot: str, name: str, work, items: queue.SimpleQueue | None = None
) -> Callable[[], object]:
    """Run `work(cursor, put)` in a thread, on a new connection at this transaction's `snapshot`.

    Returns `take`: the next item `work` put (`_DONE` after its last), or
    the exception it raised. The queue is unbounded: the thread never
    blocks, so it ends even when nobody takes what it put. Several threads
    may share one queue (`items`): each puts its own `_DONE`.
    """
    items = queue.SimpleQueue() if items is None else items

    def run() -> None:
        second = connections.create_connection(connection.alias)
        try:
            second.ensure_connection()
            cursor = second.connection.cursor()
            cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            cursor.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            _tune(cursor)
            work(cursor, items.put)
            cursor.execute("COMMIT")
        except BaseException as exc:  # handed to the consumer, which raises it
            items.put(exc)
        finally:
            second.close()
            items.put(_DONE)

    threading.Thread(target=run, name=name, daemon=True).start()

    def take():
        item = items.get()
        if isinstance(item, BaseException):
            raise item
        return item

    return take


def _stream_evidence(
    snapshot: str,
    claimed: list[int] | None,
    scope: list[int] | None,
    aggregate: bool,
    now: datetime,
    half_life: float,
    *,
    pending: bool = True,
) -> tuple[Callable[[], list[tuple]], Iterator[tuple]]:
    """(pending items, when taken; aggregate rows as they arrive), read at `snapshot`.

    Under way while this thread reads the alignments and scores; see
    `_evidence_reads`. `claimed` None: every initiative is claimed.
    `pending=False`: the aggregate only (the pending items are read elsewhere).
    An aggregate of everything is read in ranges of initiatives, each on its
    own connection (`_aggregate_ranges`); the rows come as they arrive, in
    id order within a range.
    """

    def reader(between: tuple[int | None, int | None], first: bool):
        def read(cursor, put) -> None:
            if pending and first:
                put(_Pending(_pending_at(cursor, claimed)))
            if aggregate:
                chunk = []
                streaming = psycopg.Cursor(cursor.connection)  # binary: see _fetch_numbers
                sql = _reach_sql_pg(scope, now, half_life, between)
                # Rows by the hundred, not one result each: half the client's
                # time per row (~5 against ~10 us), time it holds the GIL.
                for row in streaming.stream(*sql, binary=True, size=STREAM_ROWS):
                    chunk.append((row[0], _sums(row)))
                    if len(chunk) == 32:
                        put(chunk)
                        chunk = []
                put(chunk)

        return read

    ranges = _aggregate_ranges() if aggregate and scope is None else [(None, None)]
    arrivals = _Arrivals(len(ranges))
    for n, between in enumerate(ranges):
        _at_snapshot(snapshot, f"rescore-evidence-{n}", reader(between, n == 0), arrivals.items)
    return arrivals.pending, arrivals.rows()


@dataclass(frozen=True)
class _Pending:
    rows: list[tuple]


class _Arrivals:
    """What `readers` threads put in one queue: the pending items once, chunks of rows."""

    def __init__(self, readers: int):
        self.items: queue.SimpleQueue = queue.SimpleQueue()
        self._open = readers
        self._early: list[list] = []  # chunks that came before the pending items

    def _take(self):
        item = self.items.get()
        if isinstance(item, BaseException):
            raise item
        if item is _DONE:
            self._open -= 1
        return item

    def pending(self) -> list[tuple]:
        while self._open:
            item = self._take()
            if isinstance(item, _Pending):
                return item.rows
            if item is not _DONE:
                self._early.append(item)
        raise RuntimeError("the evidence reads ended without the pending items")

    def rows(self) -> Iterator[tuple]:
        while self._early:
            yield from self._early.pop(0)
        while self._open:
            if (item := self._take()) is not _DONE:
                yield from item


SPLIT_KEY = "roadmap:rescore-aggregate-split"
STREAM_ROWS = 256  # rows per result of a streamed aggregate (libpq 17+)


def _aggregate_ranges() -> list[tuple[int | None, int | None]]:
    """The ranges of initiative ids [from, to) an aggregate of everything is read in.

    Split where the last full run found the evidence's cost about equal
    (`_remember_split`); one range while none is known. Any split reads the
    same rows: it decides only how evenly the connections share the work.
    """
    streams = settings.RESCORE_AGGREGATE_STREAMS
    points = cache.get(f"{SPLIT_KEY}:{streams}") if streams > 1 else None
    if (
        not isinstance(points, list)
        or len(points) != streams - 1
        or not all(isinstance(p, int) for p in points)
        or points != sorted(set(points))
    ):
        return [(None, None)]
    edges = [None, *points, None]
    return list(pairwise(edges))


def split_points(costs: Iterable[tuple[int, float]], parts: int) -> list[int]:
    """Ids cutting (id, cost) pairs in id order into `parts` runs of about equal cost.

    Each point is the first id of a run after the first; fewer points when
    the costs cannot fill that many runs (too few ids, or no cost at all).
    """
    costs = list(costs)
    total = sum(cost for _, cost in costs)
    points: list[int] = []
    if parts < 2 or total <= 0:
        return points
    seen = 0.0
    for iid, cost in costs:
        if seen >= total * (len(points) + 1) / parts:
            points.append(iid)
            if len(points) == parts - 1:
                break
        seen += cost
    return points


def _remember_split(claimed: list[tuple]) -> None:
    """Where the next aggregate of everything splits, from a claim of every initiative.

    An initiative costs the aggregate its items and, more, its (initiative,
    customer) groups: at 10k x 1M, items plus four times the customers put
    two ranges within ~3 % of each other (measured; items alone, ~10 %).
    """
    streams = settings.RESCORE_AGGREGATE_STREAMS
    if streams < 2:
        return
    costs = ((row[0], (row[12] or 0) + 4 * (row[18] or 0)) for row in claimed)
    points = split_points(costs, streams)
    if len(points) == streams - 1:
        cache.set(f"{SPLIT_KEY}:{streams}", points, timeout=None)


def _pending_at(cursor, claimed: list[int] | None) -> list[tuple]:
    """`_pending_rows` on a connection of the run's own (see `_at_snapshot`)."""
    # A few thousand index probes: not worth starting parallel workers.
    cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
    rows = _pending_rows(cursor, claimed)
    cursor.execute("RESET max_parallel_workers_per_gather")
    return rows


def _evidence_reads_streamed(
    claimed: list[int], scope: list[int] | None, aggregate: bool, now: datetime, half_life: float
) -> tuple[list[tuple], Iterator[tuple]]:
    """`_evidence_reads` from a second connection at this transaction's snapshot."""
    with connection.cursor() as cursor:
        snapshot = _export_snapshot(cursor)
    take_pending, rows = _stream_evidence(snapshot, claimed, scope, aggregate, now, half_life)
    return take_pending(), rows


@dataclass
class _ReadAhead:
    """A full re-aggregation's reads, started before its claim (see `_read_ahead`)."""

    claim: Callable[[], tuple[list[tuple], list[tuple]]]  # (claimed rows, pending items)
    rows: Iterator[tuple]


def _read_ahead(cursor, requests: list[tuple], now: datetime, half_life: float):
    """For a run that claims and aggregates everything: claim and aggregate at once.

    Such a run need not see its claim to know what to aggregate, so the
    aggregate starts on connections of its own (`_stream_evidence`) and the
    claim is read on another, all at this transaction's snapshot, while this thread reads the
    alignments: the claim (~0.04 s at 10,000 initiatives) is no longer ahead
    of the aggregate. At one snapshot with the aggregate, as in the other
    order: a mark that arrives later moves `mark_version` past the claimed one.
    None when the run is not that (or is inside a caller's transaction).
    """
    if not (_streams() and any(reaggregate for _, reaggregate, _ in requests)):
        return None
    snapshot = _export_snapshot(cursor)
    _, rows = _stream_evidence(snapshot, None, None, True, now, half_life, pending=False)

    def claim_and_pending(claim_cursor, put) -> None:
        # The aggregate's connection goes straight to the aggregate.
        put((_claim(claim_cursor, requests), _pending_at(claim_cursor, None)))

    return _ReadAhead(claim=_at_snapshot(snapshot, "rescore-claim", claim_and_pending), rows=rows)


def _reach_sql_pg(
    ids: list[int] | None,
    now: datetime,
    half_life: float,
    between: tuple[int | None, int | None] = (None, None),
) -> tuple[str, list]:
    """The same sums as `_reach_aggregates`, streamed: nothing hashes 850k groups.

    The covering index (initiative, customer, received_at) hands the rows over
    in order, so both levels are GroupAggregates that keep one group in memory
    and emit the initiatives in id order (the ORDER BY costs no sort).
    The segment weight is looked up in an array indexed by customer id (built
    once per statement, ~50k floats) instead of a hash join, which would lose
    the order and force a sort or a hash of every (initiative, customer) pair.
    """
    epoch = now.timestamp()
    where, params = _ids_filter("initiative_id", ids)
    for bound, operator in zip(between, (">=", "<"), strict=True):
        if bound is not None:
            where += f" AND initiative_id {operator} %s"
            params.append(bound)
    sql = f"""
        WITH w AS MATERIALIZED (
            SELECT array_agg(COALESCE(s.weight, %s)::float8 ORDER BY g.id) AS weights
            FROM generate_series(1, (SELECT COALESCE(MAX(id), 0) FROM roadmap_customer)) g(id)
            LEFT JOIN roadmap_customer c ON c.id = g.id
            LEFT JOIN roadmap_segment s ON s.id = c.segment_id
        )
        SELECT pc.initiative_id,
               SUM((SELECT weights FROM w)[pc.customer_id]
                   * {_decay_sql("pc.newest")}),
               COUNT(pc.customer_id),
               SUM(pc.anon),
               SUM(CASE WHEN pc.customer_id IS NULL THEN pc.items END),
               SUM(pc.items)
        FROM (
            SELECT initiative_id, customer_id, MAX(received_at) AS newest, COUNT(*) AS items,
                   SUM(CASE WHEN customer_id IS NULL
                            THEN {_decay_sql("received_at")} END) AS anon
            FROM roadmap_evidence
            WHERE {where}
            GROUP BY initiative_id, customer_id
        ) pc
        GROUP BY pc.initiative_id
        ORDER BY pc.initiative_id
        """
    return sql, [
        scoring.DEFAULT_POLICY.default_segment_weight,
        epoch,
        half_life,
        epoch,
        half_life,
        *params,
    ]


def _alignment_links(cursor, ids: list[int] | None) -> dict[int, list[scoring.AlignmentLink]]:
    """Each initiative's links to key results of objectives not cancelled.

    Key results are read once and each (key result, contribution) becomes one
    shared AlignmentLink: a few hundred objects for 20,000 links, where one
    joined row and one object per link cost ~0.15 s of a full rescore.
    """
    cursor.execute(
        """
        SELECT kr.id, kr.title, o.id, o.title, o.weight, kr.progress
        FROM okrs_keyresult kr JOIN okrs_objective o ON o.id = kr.objective_id
        WHERE o.status <> 'cancelled'
        """
    )
    key_results = {row[0]: row for row in cursor.fetchall()}
    where, params = _ids_filter("initiative_id", ids)
    cursor.execute(
        f"SELECT initiative_id, key_result_id, contribution FROM roadmap_alignment WHERE {where}",
        params,
    )
    shared: dict[tuple[int, str], scoring.AlignmentLink] = {}
    out: dict[int, list[scoring.AlignmentLink]] = {}
    for initiative_id, kr_id, contribution in cursor.fetchall():
        link = shared.get((kr_id, contribution))
        if link is None:
            if kr_id not in key_results:
                continue  # its objective is cancelled
            _, kr_title, obj_id, obj_title, weight, progress = key_results[kr_id]
            link = shared[kr_id, contribution] = scoring.AlignmentLink(
                key_result_id=kr_id,
                key_result=kr_title,
                objective_id=obj_id,
                objective=obj_title,
                contribution=contribution,
                objective_weight=float(weight),
                progress=float(progress),
            )
        out.setdefault(initiative_id, []).append(link)
    for links in out.values():
        if len(links) > 1:
            links.sort(key=attrgetter("objective_id", "key_result_id"))
    return out


REACH_COLUMNS = [
    ("anchored", "boolean"),
    ("reach_anchor", "timestamptz"),
    ("reach_half_life", "float8"),
    ("reach_weighted", "float8"),
    ("reach_anonymous", "float8"),
    ("reach_customers", "integer"),
    ("reach_anonymous_items", "integer"),
    ("reach_items", "integer"),
]
# Sums aggregated by this run replace the stored ones, anchored at this run,
# unless a mark moved meanwhile: that change may be missing from the
# aggregate's snapshot, so the sums are left unknown (anchor NULL) and the
# next run aggregates again. Folded rows add pending items' terms to the
# stored sums (only the rescore writes sums, one run at a time; a mark that
# forgot them meanwhile keeps them forgotten).
_SUM_NAMES = [name for name, _ in REACH_COLUMNS[3:]]
SET_REACH = ", ".join(
    [
        "reach_anchor = CASE WHEN v.anchored THEN CASE"
        " WHEN roadmap_initiative.mark_version = v.mark_version THEN v.reach_anchor END"
        " ELSE roadmap_initiative.reach_anchor END",
        "reach_half_life = CASE WHEN v.anchored THEN v.reach_half_life"
        " ELSE roadmap_initiative.reach_half_life END",
        *(
            f"{name} = CASE WHEN v.anchored THEN v.{name}"
            f" WHEN v.folded THEN roadmap_initiative.{name} + v.{name}"
            f" ELSE roadmap_initiative.{name} END"
            for name in _SUM_NAMES
        ),
    ]
)
WRITE_COLUMNS = [
    ("id", "bigint"),
    # false: an initiative not claimed whose rank moved because others did
    ("claimed", "boolean"),
    ("mark_version", "bigint"),
    *REACH_COLUMNS,
    # the sums are this run's pending terms, to add to the stored ones
    ("folded", "boolean"),
    ("moved", "boolean"),
    # what prompted it, for the snapshot of a row whose priority moved
    ("trigger", "text"),
    # a claimed row's place in the run (its rank is sent with the UPDATE, see
    # `_write`); a row not claimed carries its rank
    ("seq", "integer"),
    ("rank", "integer"),
    # null where the score did not change: the stored values stay
    ("rice_score", "float8"),
    ("alignment_score", "float8"),
    ("priority_score", "float8"),
    ("breakdown", "jsonb"),
    ("evidence_count", "integer"),
    ("reach", "float8"),
]
# What a snapshot keeps of the initiative as the run left it.
SNAPSHOT_COLUMNS = (
    "reach",
    "impact",
    "confidence",
    "effort",
    "rice_score",
    "alignment_score",
    "priority_score",
    "rank",
    "previous_priority_score",
    "previous_rank",
)
WRITE_NAMES = [name for name, _ in WRITE_COLUMNS]
# A mark that moved since the claim read it belongs to a change this run may
# not have seen: keep it for the next run.
CLEAR_MARK = (
    "needs_rescore = CASE WHEN v.claimed"
    " THEN roadmap_initiative.mark_version <> v.mark_version"
    " ELSE roadmap_initiative.needs_rescore END"
)
KEEP_UNLESS_SCORED = ", ".join(
    f"{name} = COALESCE(v.{name}, roadmap_initiative.{name})"
    for name in (
        "rice_score",
        "alignment_score",
        "priority_score",
        "breakdown",
        "evidence_count",
        "reach",
    )
)


class _ScoredRows:
    """The claimed rows of a run, on their way to `_write`, in the order scored.

    On PostgreSQL each row goes by COPY into the temporary table as soon as it
    is scored: the run's own connection is idle while the evidence streams in
    on the second one, so the rows are sent (and parsed by the server) in that
    time instead of after it. Their ranks, known only once every row is
    scored, follow with the UPDATE. Elsewhere the rows wait for one JSON
    parameter.
    """

    def __init__(self, copy=None):
        self.rows: list[dict] = []
        self._copy = copy
        self._lines: list[str] = []

    def add(self, row: dict) -> None:
        self.rows.append(row)
        row["seq"] = len(self.rows)
        if self._copy is None:
            return
        if (breakdown := row.get("breakdown")) is not None:
            # The one text value of a row: escaped here, so the rest is str() alone.
            row["breakdown"] = copy_escape(_dumps(breakdown))
        self._lines.append(_copy_row(row))
        row.pop("breakdown", None)  # sent: the run needs it no more
        if len(self._lines) == 500:
            self.flush()

    def flush(self) -> None:
        if self._lines:
            self._copy.write("".join(self._lines))
            self._lines = []


@contextmanager
def _scored_rows(cursor):
    """A `_ScoredRows` to add the run's claimed rows to (on PostgreSQL, an open COPY)."""
    if not _is_postgres():
        yield _ScoredRows()
        return
    spec = ", ".join(f"{name} {pg_type}" for name, pg_type in WRITE_COLUMNS)
    # Once per connection, emptied by every commit. DELETE, not TRUNCATE: a
    # caller's transaction (a test) may run several rescores before it commits.
    cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS rescore_rows ({spec}) ON COMMIT DELETE ROWS")
    cursor.execute("DELETE FROM rescore_rows")
    with cursor.cursor.copy(_COPY_ROWS) as copy:
        sink = _ScoredRows(copy)
        yield sink
        sink.flush()


_COPY_ROWS = f"COPY rescore_rows ({', '.join(WRITE_NAMES)}) FROM STDIN"


def _write(
    cursor, scored: _ScoredRows, slipped: list[dict], ranks: dict[int, int], now: datetime
) -> list[int]:
    """Every row this run changes in one UPDATE: scores, sums, rank, and the "before".

    `scored` holds the claimed rows, `slipped` those not claimed whose rank
    moved because others did, `ranks` every new rank. Each row is written
    once per run, its rank with its scores (a second pass for the ranks
    rewrote thousands of ~1.4 KB rows again). The mark is cleared only where
    it did not move. "Before" (previous rank and score) is where the row was:
    set when its priority changed, or when only its rank did.

    On PostgreSQL the rows are in a temporary table by COPY (the server took
    ~0.4 s to parse the same 10,000 rows as one 12 MB JSON parameter, COPY
    ~0.05 s), the claimed rows' ranks come as one array indexed by their
    place in the run, and the UPDATE walks the rows in id order through the
    primary key, so it locks rows in id order as ingest does: no deadlock,
    and no separate locking pass. The same statement inserts the snapshots
    of the rows whose priority moved (`_snapshot` elsewhere). Returns the
    snapshot ids.
    """
    postgres = _is_postgres()
    # The new rank: a claimed row's from the array (0: none), another's its own.
    new_rank = (
        "CASE WHEN v.claimed THEN NULLIF((%s::int4[])[v.seq], 0) ELSE v.rank END"
        if postgres
        else "v.rank"
    )
    rank = "v.new_rank" if postgres else "v.rank"
    # Null-safe "differs": IS DISTINCT FROM is SQLite 3.39+, IS NOT is older.
    rank_moved = f"{rank} {'IS DISTINCT FROM' if postgres else 'IS NOT'} roadmap_initiative.rank"
    set_clause = f"""
        {KEEP_UNLESS_SCORED}, {CLEAR_MARK}, {SET_REACH},
        scored_at = CASE WHEN v.claimed THEN %s ELSE roadmap_initiative.scored_at END,
        rank = {rank},
        previous_rank = CASE WHEN v.moved OR {rank_moved} THEN roadmap_initiative.rank
                             ELSE roadmap_initiative.previous_rank END,
        previous_priority_score = CASE
            WHEN v.moved AND roadmap_initiative.scored_at IS NULL THEN NULL
            WHEN v.moved OR {rank_moved} THEN roadmap_initiative.priority_score
            ELSE roadmap_initiative.previous_priority_score END
    """
    if not postgres:
        for row in scored.rows:
            row["rank"] = ranks.get(row["id"])
        rows = sorted(scored.rows + slipped, key=itemgetter("id"))
        cursor.execute(
            f"UPDATE roadmap_initiative SET {set_clause} FROM {_json_rows_sql(WRITE_COLUMNS)}"
            " WHERE roadmap_initiative.id = v.id",
            [db_timestamp(now), _dumps(rows)],
        )
        return _snapshot(cursor, rows)
    if slipped:
        with cursor.cursor.copy(_COPY_ROWS) as copy:
            for start in range(0, len(slipped), 1000):
                copy.write("".join(_copy_row(row) for row in slipped[start : start + 1000]))
    # A nested loop over the rows in id order is the only join left to the planner.
    cursor.execute("SET LOCAL enable_hashjoin = off")
    cursor.execute("SET LOCAL enable_mergejoin = off")
    written = ", ".join(f"roadmap_initiative.{name}" for name in SNAPSHOT_COLUMNS)
    cursor.execute(
        f"""
        WITH written AS (
            UPDATE roadmap_initiative SET {set_clause}
            FROM (SELECT v.*, {new_rank} AS new_rank FROM rescore_rows v ORDER BY v.id) v
            WHERE roadmap_initiative.id = v.id
            RETURNING roadmap_initiative.id, {written}, v.moved, v.trigger
        )
        INSERT INTO roadmap_scoresnapshot (initiative_id, {", ".join(SNAPSHOT_COLUMNS)},
                                           trigger, created_at)
        SELECT id, {", ".join(SNAPSHOT_COLUMNS)}, trigger, %s FROM written WHERE moved
        RETURNING id
        """,
        [
            db_timestamp(now),
            [ranks.get(row["id"]) or 0 for row in scored.rows],
            db_timestamp(timezone.now()),
        ],
    )
    snapshot_ids = sorted(row[0] for row in cursor.fetchall())
    cursor.execute("SET LOCAL enable_hashjoin = on")
    cursor.execute("SET LOCAL enable_mergejoin = on")
    return snapshot_ids


# Most rows of a run under steady ingest only slipped a rank: one format, filled in.
_SLIP_LINE = copy_line(
    [
        {"id": "{id}", "claimed": False, "moved": False, "rank": "{rank}"}.get(name)
        for name in WRITE_NAMES
    ]
)


def _copy_row(row: dict) -> str:
    if row["claimed"]:
        # Numbers, booleans, a timestamp and the escaped breakdown: str() of each.
        return (
            "\t".join(
                ["\\N" if value is None else str(value) for value in map(row.get, WRITE_NAMES)]
            )
            + "\n"
        )
    rank = row["rank"]
    return _SLIP_LINE.format(id=row["id"], rank="\\N" if rank is None else rank)


def _standing(cursor) -> list[tuple]:
    """(id, status, priority score, rank) of every initiative, as stored."""
    return _fetch_numbers(
        cursor, "SELECT id, status, priority_score, rank FROM roadmap_initiative", []
    )


def _new_ranks(standing: list[tuple], scores: dict[int, float]) -> tuple[dict, dict]:
    """(new rank, old rank) by initiative id, ranking `standing` with this run's `scores`.

    Ranked work is ordered by priority, then id; the rest has no rank. Read
    (before the scoring, while the evidence streams in) and sorted here
    rather than by a window function after the writes, so each claimed row
    gets its rank in the same write as its scores.
    """
    ranked = sorted(
        (-scores.get(iid, score), iid) for iid, status, score, _ in standing if status in RANKED
    )
    new = {iid: n for n, (_, iid) in enumerate(ranked, 1)}
    old = {iid: rank for iid, _, _, rank in standing}
    return new, old


def _changed(new: float, old: float) -> bool:
    # Evidence decays continuously, so a rescore seconds later moves every
    # evidence-backed score in the seventh digit; that is not a change anyone
    # should see as a snapshot or a webhook.
    return abs(new - old) > 1e-6 * max(1.0, abs(old))


@contextmanager
def _cycle_collector_paused():
    """Python's cycle collector off for the run, back on after (if it was on).

    A full run builds ~200,000 dicts (rows and breakdowns) and keeps them until
    the write; the collector walked them, and everything else the process
    holds, a few hundred times per run: ~60 ms of a 0.5 s nightly run. Nothing
    the run builds is cyclic, so reference counting frees all of it.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@_cycle_collector_paused()
@transaction.atomic
def initiatives_rescore_marked(*, now: datetime | None = None) -> RescoreResult:
    """Score every initiative marked `needs_rescore`, re-rank, snapshot what moved."""
    started = time.perf_counter()
    now = now or timezone.now()
    policy = scoring_policy()
    with connection.cursor() as cursor:
        requests = _begin(cursor)
        ahead = _read_ahead(cursor, requests, now, policy.half_life_days)
        if ahead:
            links = _alignment_links(cursor, None)
            standing = _standing(cursor)
            claimed, waiting = ahead.claim()
        else:
            claimed = _claim(cursor, requests)
        if requests:
            _done_full(cursor, [row[0] for row in requests])
        if not claimed:
            return RescoreResult(claimed=0, changed_ids=[], snapshot_ids=[])
        ids = [row[0] for row in claimed]
        triggers = {row[0]: row[1] for row in claimed}
        # Evidence is aggregated only for initiatives whose anchored sums are not
        # known (set at ingest, see scoring.AnchoredReach); new evidence on the
        # others arrived as deltas. Many of them (the nightly run, a segment
        # weight change): one streaming pass over all the evidence beats
        # thousands of index probes.
        stale = [row[0] for row in claimed if row[4]]
        scope = None if len(stale) > AGGREGATE_ALL_ABOVE else stale
        aggregated = (lambda iid: True) if scope is None else set(stale).__contains__
        if ahead:
            reach_rows = ahead.rows
        else:
            waiting, reach_rows = _evidence_reads(
                ids, scope, bool(stale), now, policy.half_life_days
            )
            links = _alignment_links(cursor, None if len(ids) > AGGREGATE_ALL_ABOVE else ids)
        # New evidence of the others is folded into their sums: an aggregate
        # read at the same snapshot has it already.
        to_fold: dict[int, list[tuple]] = {}
        for _, iid, *item in waiting:
            if iid is not None and not aggregated(iid):
                to_fold.setdefault(iid, []).append(item)
        if not ahead:
            standing = _standing(cursor)
        anchor = db_timestamp(now)
        scores: dict[int, float] = {}

        def score(claim: tuple, aggregated_sums: Sums | None) -> dict:
            (
                iid,
                trigger,
                version,
                marked,
                _stale,
                source,
                manual_reach,
                impact,
                conf,
                effort,
                old_priority,
                _old_rank,
                old_count,
                never_scored,
                *stored,
            ) = claim
            reach_fields = {"anchored": False}
            if aggregated(iid):
                sums = NO_EVIDENCE if aggregated_sums is None else aggregated_sums
                if not _same_sums(stored, sums, now):
                    reach_fields = _anchored_fields(sums, anchor, policy.half_life_days)
            else:
                kept = _stored_sums(stored)
                if iid in to_fold:
                    delta = _fold(kept, to_fold[iid], now)
                    kept = scoring.reach_added(kept, delta)
                    reach_fields = _folded_fields(delta)
                sums = scoring.reach_at(kept, now)
            from_customers, customers, anonymous, anonymous_items, count = sums
            result = scoring.score(
                scoring.ScoreInputs(
                    reach_source=source,
                    manual_reach=float(manual_reach),
                    impact=float(impact),
                    confidence=float(conf),
                    effort=float(effort),
                    evidence=scoring.reach_from_totals(
                        from_customers=from_customers,
                        customers=customers,
                        anonymous=anonymous,
                        anonymous_items=anonymous_items,
                        policy=policy,
                    )
                    if source == "evidence"
                    else None,
                    links=tuple(links.get(iid, ())),
                ),
                policy=policy,
            )
            moved = never_scored or _changed(result.priority_score, float(old_priority))
            rescored = (
                moved
                or count != old_count
                or (source == "evidence" and _changed(result.reach, float(manual_reach)))
                # inputs or alignments changed without moving the score: the
                # breakdown must still tell the truth
                or trigger == "edit"
            )
            if not (rescored or marked or reach_fields["anchored"] or reach_fields.get("folded")):
                # Nothing new (a full rescore claims rows no mark asked for):
                # written only if its rank moves, as a row not claimed.
                return None
            row = {
                "id": iid,
                "mark_version": version,
                **reach_fields,
                "claimed": True,
                "moved": moved,
                "trigger": trigger,
            }
            if rescored:
                row.update(
                    rice_score=result.rice_score,
                    alignment_score=result.alignment_score,
                    priority_score=result.priority_score,
                    breakdown=result.breakdown,
                    evidence_count=count,
                    reach=result.reach,
                )
                scores[iid] = result.priority_score
            return row

        failures: dict[int, str] = {}

        def score_or_quarantine(claim: tuple, sums: Sums | None) -> dict | None:
            # One initiative that cannot be scored must not cost the others theirs.
            try:
                return score(claim, sums)
            except Exception as exc:
                failures[claim[0]] = describe(exc)
                return _quarantined_row(claim)

        # Each claimed initiative is scored as its sums arrive (from several
        # connections, in no overall order); those with none after the stream.
        unscored = {claim[0]: claim for claim in claimed}
        with _scored_rows(cursor) as sink:
            for iid, sums in reach_rows:
                claim = unscored.pop(iid, None)  # None: an initiative not claimed
                if claim is not None and (row := score_or_quarantine(claim, sums)) is not None:
                    sink.add(row)
            for claim in unscored.values():
                if (row := score_or_quarantine(claim, None)) is not None:  # None: nothing new
                    sink.add(row)
        new_ranks, old_ranks = _new_ranks(standing, scores)
        claimed_ids = set(ids)
        sent = {row["id"] for row in sink.rows}
        slipped = [
            {"id": iid, "claimed": False, "moved": False, "rank": rank}
            for iid, old in old_ranks.items()
            if iid not in sent and (rank := new_ranks.get(iid)) != old
        ]
        visible = bool(scores or slipped) or any(
            new_ranks.get(iid) != old_ranks.get(iid) for iid in claimed_ids
        )
        changed = sorted(row["id"] for row in sink.rows if row["moved"])
        snapshot_ids = _write(cursor, sink, slipped, new_ranks, now)
        if waiting:
            cursor.execute(
                f"DELETE FROM roadmap_pendingevidence WHERE {in_ids_sql('evidence_id')}",
                [ids_param(row[0] for row in waiting)],
            )
    quarantine_record(failures=failures, now=now)
    quarantine_release(scored=set(ids).difference(failures))
    if requests:  # every initiative claimed
        _remember_split(claimed)
    seconds = time.perf_counter() - started
    RecomputeRun.objects.create(
        trigger=_dominant_trigger(triggers.values()),
        claimed=len(ids),
        changed=len(changed),
        duration_ms=seconds * 1000,
    )
    if visible:
        priorities_changed()
    if snapshot_ids:
        nudge_on_commit(PRIORITY_CHANGED, snapshot_ids)
    return RescoreResult(
        claimed=len(ids), changed_ids=changed, snapshot_ids=snapshot_ids, seconds=seconds
    )


def _quarantined_row(claim: tuple) -> dict:
    """The write of an initiative that failed to score: its mark cleared, its sums forgotten.

    Its scores and rank stay as stored. Forgetting the sums (anchor NULL) has
    the next run aggregate its evidence afresh, so pending items this run
    drops are still counted.
    """
    return {
        "id": claim[0],
        "mark_version": claim[2],
        "claimed": True,
        "moved": False,
        "trigger": claim[1],
        "anchored": True,
        "reach_anchor": None,
        "reach_half_life": None,
        **dict.fromkeys(_SUM_NAMES, 0),
    }


def _done_full(cursor, ids: list[int]) -> None:
    """The FullRescore rows this run claimed for: done when it commits."""
    cursor.execute(f"DELETE FROM roadmap_fullrescore WHERE {in_ids_sql('id')}", [ids_param(ids)])


def _dominant_trigger(triggers: Iterable[str]) -> str:
    values = set(triggers)
    for trigger in ("edit", "evidence", "metric", "schedule"):
        if trigger in values:
            return trigger
    return "schedule"


def _snapshot(cursor, rows: list[dict]) -> list[int]:
    """One INSERT ... SELECT: each initiative whose priority changed, as it is now (SQLite).

    Its "before" (previous rank and score) is already on the row. Initiatives
    that only moved in rank because others did get no snapshot and no webhook:
    with 10,000 initiatives one score change shifts thousands of ranks.
    """
    changed = [{"id": row["id"], "trigger": row["trigger"]} for row in rows if row["moved"]]
    if not changed:
        return []
    columns = ", ".join(SNAPSHOT_COLUMNS)
    cursor.execute(
        f"""
        INSERT INTO roadmap_scoresnapshot (initiative_id, {columns}, trigger, created_at)
        SELECT i.id, {", ".join(f"i.{name}" for name in SNAPSHOT_COLUMNS)}, v.trigger, %s
        FROM roadmap_initiative i
        JOIN {_json_rows_sql([("id", "bigint"), ("trigger", "text")])} ON v.id = i.id
        RETURNING id
        """,
        [db_timestamp(timezone.now()), _dumps(changed)],
    )
    return sorted(row[0] for row in cursor.fetchall())
