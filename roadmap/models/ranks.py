"""Ranks, counted when read: an initiative's place in (rank_key, id) order.

`Initiative.rank_key` is minus the priority of scored open work (NULL for
the rest), kept by the database. Nothing stores a rank: a rescore writes
only the rows it scored, however many others its lifts pass. A reader that
shows ranks asks here, for a list in one query (`attach_ranks`) or for one
initiative (`Initiative.rank`).

The order is the ranked list's: best first, ties by id, unranked last.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import F, Model, QuerySet

if TYPE_CHECKING:
    from roadmap.models import Initiative

# The ranked list's order, for order_by(): ranked work by rank, then the rest by score.
RANK_ORDER = (F("rank_key").asc(nulls_last=True), F("priority_score").desc(), "id")

# Rows strictly above (key, id) in rank order; the first term bounds the index range.
ABOVE = "rank_key <= %s AND (rank_key < %s OR id < %s)"
# Rows from (key, id) on, and up to (key, id).
AT_OR_BELOW = "rank_key >= %s AND (rank_key > %s OR id >= %s)"
UP_TO = "rank_key <= %s AND (rank_key < %s OR id <= %s)"


def rank_of(initiative: Initiative) -> int | None:
    """One initiative's rank: 1 + the ranked rows above it (an index-only count)."""
    key = initiative.rank_key
    if key is None or initiative.pk is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM roadmap_initiative WHERE {ABOVE}",
            [key, key, initiative.pk],
        )
        return cursor.fetchone()[0] + 1


def ranks_by_id(keys: Iterable[tuple[int, float | None]]) -> dict[int, int]:
    """The rank of each (id, rank_key) given, in one query; unranked ones are left out.

    The ranked rows from the first given to the last are numbered in order
    (an index range scan), plus the count above the first: a page of the
    ranked list reads its own rows and one count.
    """
    ranked = sorted((key, iid) for iid, key in keys if key is not None)
    if not ranked:
        return {}
    (first_key, first_id), (last_key, last_id) = ranked[0], ranked[-1]
    wanted = [iid for _, iid in ranked]
    if connection.vendor == "postgresql":
        among, ids = "id = ANY(%s)", wanted
    else:
        among, ids = "id IN (SELECT value FROM json_each(%s))", json.dumps(wanted)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT id, n + (SELECT COUNT(*) FROM roadmap_initiative WHERE {ABOVE})
            FROM (
                SELECT id, ROW_NUMBER() OVER (ORDER BY rank_key, id) AS n
                FROM roadmap_initiative
                WHERE {AT_OR_BELOW} AND {UP_TO}
            ) numbered
            WHERE {among}
            """,
            [first_key, first_key, first_id] * 2 + [last_key, last_key, last_id, ids],
        )
        return dict(cursor.fetchall())


def attach_ranks(initiatives: Iterable[Initiative]) -> None:
    """Give each initiative its `rank` (None: not ranked), in one query for all of them."""
    initiatives = list(initiatives)
    ranks = ranks_by_id((i.pk, i.rank_key) for i in initiatives)
    for initiative in initiatives:
        initiative.rank = ranks.get(initiative.pk)


class RankedQuerySet(QuerySet):
    """Initiatives; `with_ranks()` gives every instance it loads its rank (one more query)."""

    _ranks_wanted = False

    def with_ranks(self, wanted: bool = True) -> RankedQuerySet:
        """Ranks for what it loads (False: none, for a caller that attaches them at once)."""
        clone = self._chain()
        clone._ranks_wanted = wanted
        return clone

    def _clone(self):
        clone = super()._clone()
        clone._ranks_wanted = self._ranks_wanted
        return clone

    def _fetch_all(self):
        fresh = self._result_cache is None
        super()._fetch_all()
        results = self._result_cache
        if fresh and self._ranks_wanted and results and isinstance(results[0], Model):
            attach_ranks(results)


def rank_finder() -> Callable[[float | None, int], int | None]:
    """rank(rank_key, id) for any number of rows, from one read of every ranked key.

    For exports, which stream every initiative: a bisection each, no query.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rank_key, id FROM roadmap_initiative"
            " WHERE rank_key IS NOT NULL ORDER BY rank_key, id"
        )
        keys = cursor.fetchall()

    def rank(key: float | None, iid: int) -> int | None:
        return None if key is None else bisect_left(keys, (key, iid)) + 1

    return rank
