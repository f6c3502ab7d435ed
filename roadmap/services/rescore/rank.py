"""Phase 4, rank: where this run's scores put each initiative, for its snapshot.

Ranks are not stored (roadmap.models.ranks counts them when read), so the
run writes only the rows it scored, however many others they pass. It still
needs each moved initiative's rank before and after, for its snapshot, its
webhook and its causes, and the rows near the top whose rank alone moved.

Input: the standing (`Standing`, the ranked initiatives in rank order as
stored, read while the evidence streams in), the claims, this run's priority
scores, the ids of the rows it sends to the write.
Output: `Ranking`: new and old rank by id, the order after the run, a
`WriteRow` for each initiative near the top not sent whose rank moved, and
whether anything a reader sees moved.
Writes: nothing.
"""

from __future__ import annotations

from typing import NamedTuple

from ..sql import fetch_numbers
from .claim import Claim
from .write import WriteRow

# A rank that moves while its score stands gets a snapshot only this near the
# top: with 10,000 initiatives one change shifts thousands of ranks.
RANK_SHIFT_TOP = 20


class Standing(NamedTuple):
    """A ranked initiative as stored before the run."""

    id: int
    priority_score: float


class Ranking(NamedTuple):
    new: dict[int, int]  # new rank by id (ranked work only)
    old: dict[int, int]  # rank by id before the run (ranked work only)
    order: list[int]  # ids by new rank
    slipped: list[WriteRow]  # near the top, not sent by the scoring, rank moved
    visible: bool  # a score or a rank moved: what readers cache is stale


def standing(cursor) -> list[Standing]:
    """The ranked initiatives' ids and priority scores, in rank order (an index-only scan)."""
    return fetch_numbers(
        cursor,
        "SELECT id, priority_score FROM roadmap_initiative"
        " WHERE rank_key IS NOT NULL ORDER BY rank_key, id",
        [],
        Standing,
    )


def ranking(
    standing: list[Standing], claimed: list[Claim], scores: dict[int, float], sent: set[int]
) -> Ranking:
    """Ranked work ordered by priority (this run's `scores`, else as stored), then id.

    Ranked work is open work (idea, planned, in progress) once scored: what
    was ranked, and every open initiative this run scored for the first time.
    """
    old = {place.id: n for n, place in enumerate(standing, 1)}
    keys = [(-scores.get(place.id, place.priority_score), place.id) for place in standing]
    keys.extend(
        (-scores.get(claim.id, claim.priority_score), claim.id)
        for claim in claimed
        if claim.open and claim.id not in old
    )
    keys.sort()  # nearly sorted already: a few hundred moved among the rest
    order = [iid for _, iid in keys]
    new = {iid: n for n, iid in enumerate(order, 1)}
    near_top = {*order[:RANK_SHIFT_TOP], *(place.id for place in standing[:RANK_SHIFT_TOP])}
    slipped = [
        WriteRow(iid, claimed=False, rank=new.get(iid), old_rank=old.get(iid))
        for iid in sorted(near_top)
        if iid not in sent and new.get(iid) != old.get(iid)
    ]
    visible = bool(scores or slipped) or any(new.get(c.id) != old.get(c.id) for c in claimed)
    return Ranking(new, old, order, slipped, visible)
