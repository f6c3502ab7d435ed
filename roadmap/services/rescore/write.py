"""Phase 5, write: every initiative row the run changes, in one UPDATE, and the snapshots.

Input: the scored rows (`WriteRow`s of claimed initiatives, gathered in a
`ScoredRows` while the run scores), the rows of initiatives not claimed
near the top whose rank slipped, the ranking (new and old ranks, for the
snapshots: ranks are not stored), the run's now.
Output: the ids of the ScoreSnapshots written (one per initiative whose
priority moved).
Writes: roadmap_initiative (scores, breakdown, evidence sums, the "before"
values, the mark), roadmap_scoresnapshot, and deletes the pending
items the run folded in (`pending_done`).
Assumes: the run's transaction; the rows are locked here, by the UPDATE, in
id order as ingest locks them (no deadlock). A mark that moved since the
claim is kept (see CLEAR_MARK), and so is any score not rescored (NULL in
the row: the stored value stays).
"""

# Raw SQL: only fixed fragments are interpolated; every value is a bound parameter.

from __future__ import annotations

from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import NamedTuple

from django.utils import timezone

from ..sql import (
    copy_escape,
    db_timestamp,
    dumps,
    ids_param,
    in_ids_sql,
    is_postgres,
    json_rows_sql,
)
from .aggregate import PendingItem

# The stored importance sums, in the order of `scoring.AnchoredReach.sets`.
IMPORTANCE_SUMS = (
    *(f"reach_set_{bits}" for bits in range(1, 8)),
    "reach_anonymous_1",
    "reach_anonymous_2",
    "reach_anonymous_4",
)


def set_sums(row: WriteRow, sets) -> None:
    """Put the 10 importance sums `sets` into `row`."""
    for name, value in zip(IMPORTANCE_SUMS, sets, strict=True):
        setattr(row, name, value)


@dataclass(slots=True)
class WriteRow:
    """One initiative's row of the write, in WRITE_COLUMNS order. None: leave as stored."""

    id: int
    claimed: bool = True  # False: not claimed, near the top, its rank moved because others' did
    mark_version: int | None = None  # the claim's; the mark is cleared only if unmoved
    # anchored: the sums below replace the stored ones, anchored at `reach_anchor`
    # (None: unknown, aggregated afresh next run); folded: they add to them.
    anchored: bool = False
    reach_anchor: datetime | str | None = None
    reach_half_life: float | None = None
    reach_weighted: float | None = None
    reach_anonymous: float | None = None
    reach_customers: int | None = None
    reach_anonymous_items: int | None = None
    reach_items: int | None = None
    # The importance sums (`scoring.AnchoredReach.sets`), in SET_NAMES order.
    reach_set_1: float | None = None
    reach_set_2: float | None = None
    reach_set_3: float | None = None
    reach_set_4: float | None = None
    reach_set_5: float | None = None
    reach_set_6: float | None = None
    reach_set_7: float | None = None
    reach_anonymous_1: float | None = None
    reach_anonymous_2: float | None = None
    reach_anonymous_4: float | None = None
    folded: bool = False
    moved: bool = False  # its priority changed: a snapshot, and "before" set
    trigger: str | None = None  # what prompted it, for the snapshot
    seq: int | None = None  # its place in the run (ScoredRows.add): its ranks' index
    rank: int | None = None  # after the run (for the snapshot)
    old_rank: int | None = None  # before it
    rice_score: float | None = None
    alignment_score: float | None = None
    priority_score: float | None = None
    breakdown: dict | str | None = None
    evidence_count: int | None = None
    reach: float | None = None


class SnapshotCauses(NamedTuple):
    """What the snapshots list as their causes (rescore/causes.py): by id, else `default`."""

    by_id: dict[int, list[dict]]
    default: list[dict]

    def rows_json(self) -> str:
        """The write's parameter: [{"id": ..., "causes": [...]}, ...]."""
        return dumps([{"id": iid, "causes": causes} for iid, causes in self.by_id.items()])


REACH_COLUMNS = [
    ("anchored", "boolean"),
    ("reach_anchor", "timestamptz"),
    ("reach_half_life", "float8"),
    ("reach_weighted", "float8"),
    ("reach_anonymous", "float8"),
    ("reach_customers", "integer"),
    ("reach_anonymous_items", "integer"),
    ("reach_items", "integer"),
    *((name, "float8") for name in IMPORTANCE_SUMS),
]
SUM_NAMES = [name for name, _ in REACH_COLUMNS[3:]]
WRITE_COLUMNS = [
    ("id", "bigint"),
    ("claimed", "boolean"),
    ("mark_version", "bigint"),
    *REACH_COLUMNS,
    ("folded", "boolean"),
    ("moved", "boolean"),
    ("trigger", "text"),
    ("seq", "integer"),
    ("rank", "integer"),
    ("old_rank", "integer"),
    ("rice_score", "float8"),
    ("alignment_score", "float8"),
    ("priority_score", "float8"),
    ("breakdown", "jsonb"),
    ("evidence_count", "integer"),
    ("reach", "float8"),
]
WRITE_NAMES = [name for name, _ in WRITE_COLUMNS]
# Sums aggregated by this run replace the stored ones, anchored at this run,
# unless a mark moved meanwhile: that change may be missing from the
# aggregate's snapshot, so the sums are left unknown (anchor NULL) and the
# next run aggregates again. Folded rows add pending items' terms to the
# stored sums (only the rescore writes sums, one run at a time; a mark that
# forgot them meanwhile keeps them forgotten).
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
            for name in SUM_NAMES
        ),
    ]
)
# What a snapshot keeps of the initiative as the run left it (and its rank, from the run).
SNAPSHOT_COLUMNS = (
    "reach",
    "impact",
    "confidence",
    "effort",
    "rice_score",
    "alignment_score",
    "priority_score",
    "previous_priority_score",
    "previous_rank",
)
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
COPY_ROWS = f"COPY rescore_rows ({', '.join(WRITE_NAMES)}) FROM STDIN"
_values = attrgetter(*WRITE_NAMES)


def copy_row(row: WriteRow) -> str:
    """`row` as a line of COPY (text format); a breakdown already escaped (`ScoredRows.add`)."""
    # Numbers, booleans, a timestamp and the escaped breakdown: str() of each.
    return "\t".join(["\\N" if value is None else str(value) for value in _values(row)]) + "\n"


class ScoredRows:
    """The claimed rows of a run, on their way to `write_rows`, in the order scored.

    On PostgreSQL each row goes by COPY into the temporary table as soon as it
    is scored: the run's own connection is idle while the evidence streams in
    on the others, so the rows are sent (and parsed by the server) in that
    time instead of after it. Their ranks, known only once every row is
    scored, follow with the UPDATE. Elsewhere the rows wait for one JSON
    parameter.
    """

    def __init__(self, copy=None):
        self.rows: list[WriteRow] = []
        self._copy = copy
        self._lines: list[str] = []

    def add(self, row: WriteRow) -> None:
        self.rows.append(row)
        row.seq = len(self.rows)
        if self._copy is None:
            return
        if (breakdown := row.breakdown) is not None:
            # The one text value of a row: escaped here, so the rest is str() alone.
            row.breakdown = copy_escape(dumps(breakdown))
        self._lines.append(copy_row(row))
        row.breakdown = None  # sent: the run needs it no more
        if len(self._lines) == 500:
            self.flush()

    def flush(self) -> None:
        if self._lines:
            self._copy.write("".join(self._lines))
            self._lines = []


@contextmanager
def scored_rows(cursor):
    """A `ScoredRows` to add the run's claimed rows to (on PostgreSQL, an open COPY)."""
    if not is_postgres():
        yield ScoredRows()
        return
    spec = ", ".join(f"{name} {pg_type}" for name, pg_type in WRITE_COLUMNS)
    # Once per connection, emptied by every commit. DELETE, not TRUNCATE: a
    # caller's transaction (a test) may run several rescores before it commits.
    cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS rescore_rows ({spec}) ON COMMIT DELETE ROWS")
    cursor.execute("DELETE FROM rescore_rows")
    with cursor.cursor.copy(COPY_ROWS) as copy:
        sink = ScoredRows(copy)
        yield sink
        sink.flush()


def write_rows(
    cursor,
    scored: ScoredRows,
    slipped: list[WriteRow],
    ranks: tuple[dict[int, int], dict[int, int]],
    now: datetime,
    causes: SnapshotCauses | None = None,
) -> list[int]:
    """Every row this run changes in one UPDATE: scores, sums, and the "before".

    `scored` holds the claimed rows, `slipped` those not claimed near the top
    whose rank moved because others did (they only get a snapshot), `ranks`
    every rank after and before the run, by id. Ranks are not stored; a row whose
    priority changed keeps where it was ("before": previous rank and score),
    and its snapshot where it is now.

    On PostgreSQL the rows are in a temporary table by COPY (the server
    parses 10,000 rows as one 12 MB JSON parameter ~8x slower), the claimed
    rows' ranks come as two arrays indexed by their place in the run, and the
    UPDATE walks the rows in id order through the primary key, so it locks
    rows in id order as ingest does: no deadlock, and no separate locking
    pass. The same statement inserts the snapshots of the rows whose
    priority moved (`_snapshot` elsewhere), each with its `causes` (by id,
    else the default). Returns the snapshot ids.
    """
    causes = causes or SnapshotCauses({}, [])
    new, old = ranks
    postgres = is_postgres()
    # On PostgreSQL a claimed row's ranks come from the arrays (below).
    was = "v.run_old_rank" if postgres else "v.old_rank"
    set_clause = f"""
        {KEEP_UNLESS_SCORED}, {CLEAR_MARK}, {SET_REACH},
        scored_at = CASE WHEN v.claimed THEN %s ELSE roadmap_initiative.scored_at END,
        previous_rank = CASE WHEN v.moved THEN {was}
                             ELSE roadmap_initiative.previous_rank END,
        previous_priority_score = CASE
            WHEN v.moved AND roadmap_initiative.scored_at IS NULL THEN NULL
            WHEN v.moved THEN roadmap_initiative.priority_score
            ELSE roadmap_initiative.previous_priority_score END
    """
    if not postgres:
        for row in scored.rows:
            row.rank, row.old_rank = new.get(row.id), old.get(row.id)
        rows = sorted(scored.rows + slipped, key=attrgetter("id"))
        cursor.execute(
            f"UPDATE roadmap_initiative SET {set_clause} FROM {json_rows_sql(WRITE_COLUMNS)}"
            " WHERE roadmap_initiative.id = v.id",
            [db_timestamp(now), dumps(rows)],
        )
        return _snapshot(cursor, rows, causes)
    if slipped:
        with cursor.cursor.copy(COPY_ROWS) as copy:
            copy.write("".join(copy_row(row) for row in slipped))
    # A claimed row's ranks from the arrays (0: none), another's its own.
    ranks = (
        "CASE WHEN v.claimed THEN NULLIF((%s::int4[])[v.seq], 0) ELSE v.rank END AS run_rank,"
        " CASE WHEN v.claimed THEN NULLIF((%s::int4[])[v.seq], 0) ELSE v.old_rank END"
        " AS run_old_rank"
    )
    # A nested loop over the rows in id order is the only join left to the planner.
    cursor.execute("SET LOCAL enable_hashjoin = off")
    cursor.execute("SET LOCAL enable_mergejoin = off")
    written = ", ".join(f"roadmap_initiative.{name}" for name in SNAPSHOT_COLUMNS)
    cursor.execute(
        f"""
        WITH written AS (
            UPDATE roadmap_initiative SET {set_clause}
            FROM (SELECT v.*, {ranks} FROM rescore_rows v ORDER BY v.id) v
            WHERE roadmap_initiative.id = v.id
            RETURNING roadmap_initiative.id, {written}, v.run_rank, v.moved, v.trigger
        )
        INSERT INTO roadmap_scoresnapshot (initiative_id, {", ".join(SNAPSHOT_COLUMNS)},
                                           rank, trigger, causes, created_at)
        SELECT w.id, {", ".join(f"w.{name}" for name in SNAPSHOT_COLUMNS)}, w.run_rank, w.trigger,
               COALESCE(c.causes, %s::jsonb), %s
        FROM written w
        LEFT JOIN jsonb_to_recordset(%s::jsonb) AS c(id bigint, causes jsonb) ON c.id = w.id
        WHERE w.moved
        RETURNING id
        """,
        [
            db_timestamp(now),
            [new.get(row.id) or 0 for row in scored.rows],
            [old.get(row.id) or 0 for row in scored.rows],
            dumps(causes.default),
            db_timestamp(timezone.now()),
            causes.rows_json(),
        ],
    )
    snapshot_ids = sorted(row[0] for row in cursor.fetchall())
    cursor.execute("SET LOCAL enable_hashjoin = on")
    cursor.execute("SET LOCAL enable_mergejoin = on")
    return snapshot_ids


def _snapshot(cursor, rows: list[WriteRow], causes: SnapshotCauses) -> list[int]:
    """One INSERT ... SELECT: each initiative whose priority changed, as it is now (SQLite).

    Its "before" (previous rank and score) is already on the row, its rank in
    `rows`. Initiatives
    that only moved in rank because others did get no snapshot and no webhook
    (with 10,000 initiatives one score change shifts thousands of ranks),
    unless near the top (`causes.rank_shifts` marks those moved).
    """
    by_id, default = causes.by_id, causes.default
    changed = [
        {
            "id": row.id,
            "rank": row.rank,
            "trigger": row.trigger,
            "causes": by_id.get(row.id, default),
        }
        for row in rows
        if row.moved
    ]
    if not changed:
        return []
    columns = ", ".join(SNAPSHOT_COLUMNS)
    source = json_rows_sql(
        [("id", "bigint"), ("rank", "integer"), ("trigger", "text"), ("causes", "jsonb")]
    )
    cursor.execute(
        f"""
        INSERT INTO roadmap_scoresnapshot (initiative_id, {columns}, rank, trigger, causes,
                                           created_at)
        SELECT i.id, {", ".join(f"i.{name}" for name in SNAPSHOT_COLUMNS)}, v.rank, v.trigger,
               v.causes, %s
        FROM roadmap_initiative i
        JOIN {source} ON v.id = i.id
        RETURNING id
        """,
        [db_timestamp(timezone.now()), dumps(changed)],
    )
    return sorted(row[0] for row in cursor.fetchall())


def pending_done(cursor, items: Iterable[PendingItem]) -> None:
    """The pending items this run read: folded in, counted by its aggregate, or dropped."""
    cursor.execute(
        f"DELETE FROM roadmap_pendingevidence WHERE {in_ids_sql('evidence_id')}",
        [ids_param(item.evidence_id for item in items)],
    )
