"""Reading on other connections at the run's snapshot (PostgreSQL), while the run scores.

The run exports its transaction's snapshot (`export_snapshot`); each reader
(`at_snapshot`) is a thread on a new connection that imports it, so it sees
exactly what the run sees. `stream_evidence` starts the readers of the
evidence: the pending items once, and the aggregate in ranges of
initiatives (`aggregate_ranges`), one connection each, so PostgreSQL
aggregates in its own processes while the run reads alignments and scores
each initiative as its totals arrive (`Arrivals`). A what-if of a new
revenue weight or half-life (roadmap.selectors_preview_reach) reads its
aggregate of everything the same way, the totals only.

Input: the run's snapshot id, what to read (as `evidence.evidence_reads`),
the run's now, policy and tuning.
Output: the pending items, once taken; the `ReachRow`s as they arrive, in
id order within a range (in no order across ranges); an exception a reader
raised, raised to whoever takes next.
Writes: nothing in the database (the readers are read-only transactions);
`remember_split` keeps where the next aggregate of everything splits in
the cache.
Assumes: the run's transaction is the outermost (a snapshot of a caller's
transaction would not show the caller's uncommitted writes).
"""

from __future__ import annotations

import queue
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

import psycopg
from django.core.cache import cache
from django.db import connection, connections

from roadmap import scoring
from roadmap.models import Initiative
from roadmap.scoring.reach_rows import merged_rows

from ..sql import ids_param, in_ids_sql
from . import aggregate
from .aggregate import PendingItem, ReachRow
from .claim import Claim
from .tuning import Tuning, tune

SNAPSHOT_ID = re.compile(r"^[0-9A-F]+-[0-9A-F]+-[0-9]+$")
SPLIT_KEY = "roadmap:rescore-aggregate-split"
STREAM_ROWS = 256  # rows per result of a streamed aggregate (libpq 17+)
CHUNK_ROWS = 32  # rows per item put in the queue


def export_snapshot(cursor) -> str:
    """The id of this transaction's snapshot, for `at_snapshot`."""
    cursor.execute("SELECT pg_export_snapshot()")
    snapshot = cursor.fetchone()[0]
    if not SNAPSHOT_ID.match(snapshot):  # it goes into SQL as a literal
        raise RuntimeError(f"unexpected snapshot id {snapshot!r}")
    return snapshot


DONE = object()  # what a reader puts after its last item


def at_snapshot(
    snapshot: str, name: str, work, tuning: Tuning, items: queue.SimpleQueue | None = None
) -> Callable[[], object]:
    """Run `work(cursor, put)` in a thread, on a new connection at `snapshot`.

    Returns `take`: the next item `work` put (`DONE` after its last), or
    the exception it raised. The queue is unbounded: the thread never
    blocks, so it ends even when nobody takes what it put. Several threads
    may share one queue (`items`): each puts its own `DONE`.
    """
    items = queue.SimpleQueue() if items is None else items

    def run() -> None:
        second = connections.create_connection(connection.alias)
        try:
            second.ensure_connection()
            cursor = second.connection.cursor()
            cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            cursor.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            tune(cursor, tuning)
            work(cursor, items.put)
            cursor.execute("COMMIT")
        except BaseException as exc:  # handed to the consumer, which raises it
            items.put(exc)
        finally:
            second.close()
            items.put(DONE)

    threading.Thread(target=run, name=name, daemon=True).start()

    def take():
        item = items.get()
        if isinstance(item, BaseException):
            raise item
        return item

    return take


@dataclass(frozen=True, slots=True)
class PendingItems:
    """What the first reader puts once: the pending items (see `Arrivals`)."""

    rows: list[PendingItem]


class Arrivals:
    """What `readers` threads put in one queue: `PendingItems` once, and chunks of rows.

    A reader puts lists of rows, and `DONE` after its last; an exception it
    raised is raised to whoever takes next.
    """

    def __init__(self, readers: int):
        self.items: queue.SimpleQueue = queue.SimpleQueue()
        self._open = readers
        self._early: list[list] = []  # chunks that came before the pending items

    def _take(self):
        item = self.items.get()
        if isinstance(item, BaseException):
            raise item
        if item is DONE:
            self._open -= 1
        return item

    def pending(self) -> list[PendingItem]:
        """The pending items, waiting for them; rows that come first are kept for `rows`."""
        while self._open:
            item = self._take()
            if isinstance(item, PendingItems):
                return item.rows
            if item is not DONE:
                self._early.append(item)
        raise RuntimeError("the evidence reads ended without the pending items")

    def rows(self) -> Iterator:
        """Every row put, as it arrives, until every reader is done."""
        while self._early:
            yield from self._early.pop(0)
        while self._open:
            if (item := self._take()) is not DONE:
                yield from item


def pending_at(cursor, claimed: list[int] | None, weighs: bool = False) -> list[PendingItem]:
    """`aggregate.pending_items` on a reader's connection."""
    # A few thousand index probes: not worth starting parallel workers.
    cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
    items = aggregate.pending_items(cursor, claimed, weighs)
    cursor.execute("RESET max_parallel_workers_per_gather")
    return items


def stream_evidence(
    snapshot: str,
    claimed: list[int] | None,
    scope: list[int] | None,
    now: datetime,
    policy: scoring.ScoringPolicy,
    tuning: Tuning,
    *,
    aggregate_rows: bool = True,
    pending: bool = True,
    only: aggregate.TotalsOnly | None = None,
    ranges: list[tuple[int | None, int | None]] | None = None,
) -> tuple[Callable[[], list[PendingItem]], Iterator[ReachRow]]:
    """(the pending items, when taken; the `ReachRow`s as they arrive), read at `snapshot`.

    `claimed` None: every initiative is claimed; `scope` None: aggregate
    every initiative. `aggregate_rows=False`: the pending items only;
    `pending=False`: the aggregate only (the pending items are read
    elsewhere). An aggregate of everything is read in ranges of
    initiatives, each on its own connection (`aggregate_ranges`, unless
    `ranges` says which); the rows come as they arrive, in id order within
    a range. `only`: a what-if's totals (`aggregate.TotalsOnly`).
    """

    def reader(between: tuple[int | None, int | None], first: bool):
        def read(cursor, put) -> None:
            if pending and first:
                put(PendingItems(pending_at(cursor, claimed, policy.revenue_weight != 0)))
            if aggregate_rows:
                chunk = []
                queries, params = aggregate.reach_totals_query(scope, now, policy, between, only)
                # The items without a customer first (a few percent of them),
                # then the customers' rows, merged as they stream in. Binary,
                # and rows by the hundred rather than one result each: half
                # the client's time per row, time it holds the GIL.
                reading = psycopg.Cursor(cursor.connection)
                anonymous = reading.execute(queries.anonymous, params, binary=True).fetchall()
                customers = reading.stream(queries.customers, params, binary=True, size=STREAM_ROWS)
                maker = aggregate.row_maker(policy, only)
                for row in merged_rows(customers, anonymous, maker):
                    chunk.append(row)
                    if len(chunk) == CHUNK_ROWS:
                        put(chunk)
                        chunk = []
                put(chunk)

        return read

    everything = aggregate_rows and scope is None
    if ranges is None or not everything:
        ranges = aggregate_ranges(tuning.aggregate_streams) if everything else [(None, None)]
    arrivals = Arrivals(len(ranges))
    for n, between in enumerate(ranges):
        read = reader(between, n == 0)
        at_snapshot(snapshot, f"rescore-evidence-{n}", read, tuning, arrivals.items)
    return arrivals.pending, arrivals.rows()


def aggregate_ranges(streams: int) -> list[tuple[int | None, int | None]]:
    """The ranges of initiative ids [from, to) an aggregate of everything is read in.

    Split where the last full run found the evidence's cost about equal
    (`remember_split`); one range while none is known. Any split reads the
    same rows: it decides only how evenly the connections share the work.
    """
    points = cache.get(f"{SPLIT_KEY}:{streams}") if streams > 1 else None
    if (
        not isinstance(points, list)
        or len(points) != streams - 1
        or not all(isinstance(p, int) for p in points)
        or points != sorted(set(points))
    ):
        return [(None, None)]
    return list(pairwise([None, *points, None]))


def ranges_of_totals(
    cursor, streams: int, only: aggregate.TotalsOnly
) -> list[tuple[int | None, int | None]]:
    """The ranges a what-if's aggregate of everything (`only`) is read in.

    Split by `remember_split`'s costs as the last rescore stored them, of
    the initiatives that aggregate reads (not the rescore's split: it reads
    them all): 5,000 rows at 10,000 initiatives, ~15 ms. One range when
    they cannot be cut.
    """
    if streams < 2:
        return [(None, None)]
    cursor.execute(
        "SELECT id, evidence_count + 4 * reach_customers FROM roadmap_initiative"
        f" WHERE evidence_count > 0 AND (reach_source = %s OR {in_ids_sql('id')}) ORDER BY id",
        [Initiative.ReachSource.EVIDENCE.value, ids_param(only.also)],
    )
    points = split_points(cursor.fetchall(), streams)
    if len(points) != streams - 1:
        return [(None, None)]
    return list(pairwise([None, *points, None]))


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


def remember_split(claimed: list[Claim], streams: int) -> None:
    """Where the next aggregate of everything splits, from a claim of every initiative.

    An initiative costs the aggregate its items and, more, its (initiative,
    customer) groups: at 10k x 1M, items plus four times the customers put
    two ranges within ~3 % of each other (measured; items alone, ~10 %).
    """
    if streams < 2:
        return
    costs = (
        (claim.id, (claim.evidence_count or 0) + 4 * (claim.customers or 0)) for claim in claimed
    )
    points = split_points(costs, streams)
    if len(points) == streams - 1:
        cache.set(f"{SPLIT_KEY}:{streams}", points, timeout=None)
