"""Part of phase 2: each claimed initiative's alignments, as the scoring reads them.

Input: the run's cursor; the ids to read (None: all).
Output: initiative id -> its `scoring.AlignmentLink`s, ordered by
objective and key result.
Writes: nothing.
Assumes: links to cancelled objectives count for nothing (they are left out).
"""

# Raw SQL: only fixed fragments are interpolated; every value is a bound parameter.

from __future__ import annotations

from operator import attrgetter

from roadmap import scoring

from ..sql import ids_filter


def alignment_links(cursor, ids: list[int] | None) -> dict[int, list[scoring.AlignmentLink]]:
    """Each initiative's links to key results of objectives not cancelled.

    Key results are read once and each (key result, contribution) becomes one
    shared AlignmentLink: a few hundred objects for 20,000 links, where one
    joined row and one object per link costs ~0.15 s of a full rescore.
    """
    cursor.execute(
        """
        SELECT kr.id, kr.title, o.id, o.title, o.weight, kr.progress
        FROM okrs_keyresult kr JOIN okrs_objective o ON o.id = kr.objective_id
        WHERE o.status <> 'cancelled'
        """
    )
    key_results = {row[0]: row for row in cursor.fetchall()}
    where, params = ids_filter("initiative_id", ids)
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
