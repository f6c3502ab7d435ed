"""Phase 4, rank: every initiative's new rank, from the stored standing and this run's scores.

Input: the standing (`Standing`, every initiative as stored, read before
the scoring while the evidence streams in), the priority scores this run
rescored, the ids of the rows it sends to the write.
Output: `Ranking`: new and old rank by id, a `WriteRow` for each initiative
not sent whose rank slipped because others moved, and whether anything a
reader sees moved.
Writes: nothing (the ranks go out with the write phase's one UPDATE).
"""

from __future__ import annotations

from typing import NamedTuple

from roadmap.models import Initiative

from ..sql import fetch_numbers
from .write import WriteRow

RANKED = frozenset(str(s) for s in Initiative.RANKED_STATUSES)


class Standing(NamedTuple):
    """An initiative's place as stored before the run."""

    id: int
    status: str
    priority_score: float
    rank: int | None


class Ranking(NamedTuple):
    new: dict[int, int]  # new rank by id (ranked work only)
    old: dict[int, int | None]  # rank by id as stored
    slipped: list[WriteRow]  # not sent by the scoring, rank moved
    visible: bool  # a score or a rank moved: what readers cache is stale


def standing(cursor) -> list[Standing]:
    """Every initiative's id, status, priority score and rank, as stored."""
    return fetch_numbers(
        cursor, "SELECT id, status, priority_score, rank FROM roadmap_initiative", [], Standing
    )


def ranking(
    standing: list[Standing], scores: dict[int, float], sent: set[int], claimed: set[int]
) -> Ranking:
    """Ranked work ordered by priority (this run's `scores`, else as stored), then id.

    The rest has no rank. Sorted here rather than by a window function after the writes, so each
    claimed row gets its rank in the same write as its scores.
    """
    ranked = sorted(
        (-scores.get(place.id, place.priority_score), place.id)
        for place in standing
        if place.status in RANKED
    )
    new = {iid: n for n, (_, iid) in enumerate(ranked, 1)}
    old = {place.id: place.rank for place in standing}
    slipped = [
        WriteRow(iid, claimed=False, rank=now_ranked)
        for iid, was in old.items()
        if iid not in sent and (now_ranked := new.get(iid)) != was
    ]
    visible = bool(scores or slipped) or any(new.get(iid) != old.get(iid) for iid in claimed)
    return Ranking(new, old, slipped, visible)
