"""The causes phase: what the run's snapshots say moved them.

Input: the run's cursor; the claimed ids; after the ranking, the rows sent
to the write, the slipped rows, the ranking, the pending evidence read and
whether the run is the nightly one.
Output: `SnapshotCauses`: the causes of each snapshot the write inserts, by
initiative id, and the list for those not in it (`default`: `[{"kind":
"decay"}]` in a scheduled full run, else none).
Writes: `rank_shifts` sets `moved` (and the trigger) on the rows near the
top whose rank moved while their score stood, so they get a snapshot too;
`causes_done` deletes the PendingCause rows the run read (in its
transaction: a run that dies leaves them for the next one).
Assumes: the causes were recorded in the marking writers' transactions
(roadmap.services.causes). They are read after the claim: a cause committed
in between belongs to a mark the claim did not see (its `mark_version`
moved, so the mark stays); it is listed with this run's snapshot, one run
early, rather than lost.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import NamedTuple

import orjson

from roadmap.models import Initiative

from ..sql import fetch_numbers, ids_param, in_ids_sql
from .aggregate import PendingItem
from .rank import RANK_SHIFT_TOP, Ranking
from .write import SnapshotCauses, WriteRow

MAX_CAUSES = 20  # per snapshot; the rest are counted in {"kind": "more", "count": N}
MAX_PASSED = 5  # initiatives named in a rank_shift's passed_by / passed
PASSED_SCAN = 50  # ranks looked at, either side, to find them
DECAY = [{"kind": "decay"}]
# What makes two causes of one run the same cause (merged, with a count).
MERGE_KEYS = {
    "key_result": ("key_result",),
    "objective": ("objective", "field"),
    "alignment": ("key_result",),
    "edit": ("field",),
    "policy": ("field",),
}
# Fields of a merged cause kept from its first occurrence (the rest: the last).
FIRST_KEPT = ("from", "from_progress")


class Recorded(NamedTuple):
    """A PendingCause row: its id, its initiative (None: all), its payload."""

    id: int
    initiative_id: int | None
    payload: dict


def recorded_causes(cursor, claimed: Iterable[int]) -> list[Recorded]:
    """The PendingCause rows of the claimed initiatives, and those for every initiative."""
    cursor.execute("SELECT id, initiative_id, payload FROM roadmap_pendingcause ORDER BY id")
    wanted = set(claimed)
    rows = []
    for cid, iid, payload in cursor.fetchall():
        if iid is None or iid in wanted:
            rows.append(Recorded(cid, iid, _loaded(payload)))
    return rows


def causes_done(cursor, recorded: list[Recorded], failed: Iterable[int]) -> None:
    """The causes this run listed are done; those of initiatives it failed to score wait."""
    failed = set(failed)
    done = [r.id for r in recorded if r.initiative_id not in failed or r.initiative_id is None]
    if done:
        cursor.execute(
            f"DELETE FROM roadmap_pendingcause WHERE {in_ids_sql('id')}", [ids_param(done)]
        )


def rank_shifts(slipped: list[WriteRow], ranking: Ranking, trigger: str) -> list[WriteRow]:
    """Rows near the top whose rank moved while their score stood: they get a snapshot.

    Of the rows the run did not score (`Ranking.slipped`: a full run's rows
    with nothing new are among them); a claimed row is already on its way to
    the write (COPY) and keeps its own `moved`. Marked `moved` here, with the
    run's trigger. Returns them.
    """
    shifted = []
    for row in slipped:
        iid = row.id
        old, new = ranking.old.get(iid), ranking.new.get(iid)
        if old is None or new is None or old == new or min(old, new) > RANK_SHIFT_TOP:
            continue
        row.moved = True
        row.trigger = row.trigger or trigger
        shifted.append(row)
    return shifted


def snapshot_causes(
    cursor,
    *,
    recorded: list[Recorded],
    moved: list[WriteRow],
    shifted: list[WriteRow],
    pending: list[PendingItem],
    ranking: Ranking,
    decay: bool,
) -> SnapshotCauses:
    """Each snapshot's causes: recorded, evidence folded in, rank shifts; decay by default."""
    everyone = [r.payload for r in recorded if r.initiative_id is None]
    own: dict[int, list[dict]] = defaultdict(list)
    for r in recorded:
        if r.initiative_id is not None:
            own[r.initiative_id].append(r.payload)
    ids = {row.id for row in moved}
    evidence = _evidence_causes(cursor, pending, ids)
    passing = _passing(cursor, shifted, ranking)
    by_id: dict[int, list[dict]] = {}
    for row in moved:
        iid = row.id
        causes = [*own.get(iid, ()), *everyone]
        if iid in evidence:
            causes.append(evidence[iid])
        if iid in passing:
            causes.append(passing[iid])
        if causes:
            by_id[iid] = capped(merged(causes))
    default = capped(merged(everyone)) if everyone else (DECAY if decay else [])
    return SnapshotCauses(by_id, default)


def merged(causes: list[dict]) -> list[dict]:
    """Causes of one run with repeats merged: first `from`, last `to`, and a `count`."""
    out: list[dict] = []
    index: dict[tuple, int] = {}
    for cause in causes:
        kind = cause.get("kind")
        keys = MERGE_KEYS.get(kind)
        if keys is None:
            out.append(cause)
            continue
        key = (kind, *(cause.get(k) for k in keys))
        if key not in index:
            index[key] = len(out)
            out.append(cause)
            continue
        first = out[index[key]]
        merged_cause = {**cause, **{k: first[k] for k in FIRST_KEPT if k in first}}
        merged_cause["count"] = first.get("count", 1) + cause.get("count", 1)
        out[index[key]] = merged_cause
    return out


def capped(causes: list[dict]) -> list[dict]:
    """At most MAX_CAUSES, the rest counted in a last {"kind": "more"}."""
    if len(causes) <= MAX_CAUSES:
        return causes
    return [*causes[: MAX_CAUSES - 1], {"kind": "more", "count": len(causes) - MAX_CAUSES + 1}]


def _evidence_causes(cursor, pending: list[PendingItem], ids: set[int]) -> dict[int, dict]:
    """{"kind": "evidence", added, customers, segments} of each moved initiative."""
    items: dict[int, list[PendingItem]] = defaultdict(list)
    for item in pending:
        if item.initiative_id in ids:
            items[item.initiative_id].append(item)
    if not items:
        return {}
    customers = {i.customer_id for group in items.values() for i in group if i.customer_id}
    segment_of = dict(
        fetch_numbers(
            cursor,
            "SELECT c.id, s.name FROM roadmap_customer c JOIN roadmap_segment s"
            f" ON s.id = c.segment_id WHERE {in_ids_sql('c.id')}",
            [ids_param(customers)],
        )
        if customers
        else []
    )
    causes = {}
    for iid, group in items.items():
        who = {i.customer_id for i in group if i.customer_id}
        segments = Counter(segment_of[i.customer_id] for i in group if i.customer_id in segment_of)
        causes[iid] = {
            "kind": "evidence",
            "added": len(group),
            "customers": len(who),
            "segments": dict(segments.most_common(10)),
        }
    return causes


def _passing(cursor, shifted: list[WriteRow], ranking: Ranking) -> dict[int, dict]:
    """A rank_shift cause for each shifted row: who passed it, or whom it passed."""
    if not shifted:
        return {}
    order = ranking.order
    old = ranking.old
    found: dict[int, tuple[list[int], list[int]]] = {}
    for row in shifted:
        iid = row.id
        was, now = old[iid], ranking.new[iid]
        by, passed = [], []
        if now > was:  # down: those now above it that were below it
            for other in order[max(0, now - 1 - PASSED_SCAN) : now - 1][::-1]:
                before = old.get(other)
                if before is None or before > was:
                    by.append(other)
                    if len(by) == MAX_PASSED:
                        break
        else:  # up: those now below it that were above it
            for other in order[now : now + PASSED_SCAN]:
                before = old.get(other)
                if before is not None and before < was:
                    passed.append(other)
                    if len(passed) == MAX_PASSED:
                        break
        found[iid] = (by, passed)
    named = {o for by, passed in found.values() for o in (*by, *passed)}
    titles = dict(Initiative.objects.filter(id__in=named).values_list("id", "title"))
    causes = {}
    for iid, (by, passed) in found.items():
        cause: dict = {"kind": "rank_shift"}
        if by:
            cause["passed_by"] = [{"id": o, "title": titles.get(o, "")} for o in by]
        if passed:
            cause["passed"] = [{"id": o, "title": titles.get(o, "")} for o in passed]
        causes[iid] = cause
    return causes


def _loaded(payload) -> dict:
    """A JSON column from a raw cursor: parsed (SQLite, and PostgreSQL under Django) or not."""
    if isinstance(payload, str | bytes):
        return orjson.loads(payload)
    return payload
