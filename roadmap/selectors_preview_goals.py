"""What-if for goal edits: the alignment links as they would read after an objective or
key-result edit (roadmap.selectors_preview scores them; nothing is written).

Input: every initiative's links as stored (rescore.links), and the goal
changes okrs.previews passes on: objectives {id: {"weight", "cancelled"}},
key results {id: {"progress", "objective"}}.
Output: the links with the changes applied, and the initiatives whose links
changed (the only ones the preview scores again). Queries: three, whatever
the number of initiatives (the key results touched, their objectives, their
alignments).
"""

from __future__ import annotations

from operator import attrgetter

from django.db.models import Q

from okrs.models import KeyResult, Objective
from roadmap import scoring
from roadmap.models import Alignment


def goal_links(
    alignments: dict[int, list[scoring.AlignmentLink]],
    objectives: dict[int, dict],
    key_results: dict[int, dict],
) -> tuple[dict[int, list[scoring.AlignmentLink]], set[int]]:
    """(links with the goal changes applied, the initiatives whose links changed)."""
    krs = {
        kr_id: [title, objective_id, float(progress)]
        for kr_id, title, objective_id, progress in KeyResult.objects.filter(
            Q(objective_id__in=list(objectives)) | Q(pk__in=list(key_results))
        ).values_list("id", "title", "objective_id", "progress")
    }
    for kr_id, change in key_results.items():
        if kr_id in krs:
            krs[kr_id][1] = change.get("objective", krs[kr_id][1])
            krs[kr_id][2] = float(change.get("progress", krs[kr_id][2]))
    goals = {
        oid: [title, float(weight), status == Objective.Status.CANCELLED]
        for oid, title, weight, status in Objective.objects.filter(
            pk__in={kr[1] for kr in krs.values()}
        ).values_list("id", "title", "weight", "status")
    }
    for oid, change in objectives.items():
        if oid in goals:
            goals[oid][1] = float(change.get("weight", goals[oid][1]))
            goals[oid][2] = bool(change.get("cancelled", goals[oid][2]))
    rows = Alignment.objects.filter(key_result_id__in=list(krs)).values_list(
        "initiative_id", "key_result_id", "contribution"
    )
    fresh: dict[int, list[scoring.AlignmentLink]] = {}
    for initiative_id, kr_id, contribution in rows:
        title, oid, progress = krs[kr_id]
        fresh.setdefault(initiative_id, [])
        objective_title, weight, cancelled = goals[oid]
        if cancelled:
            continue  # a cancelled objective's links count for nothing
        fresh[initiative_id].append(
            scoring.AlignmentLink(
                key_result_id=kr_id,
                key_result=title,
                objective_id=oid,
                objective=objective_title,
                contribution=contribution,
                objective_weight=weight,
                progress=progress,
            )
        )
    out = dict(alignments)
    for initiative_id, added in fresh.items():
        kept = [link for link in alignments.get(initiative_id, ()) if link.key_result_id not in krs]
        out[initiative_id] = sorted(kept + added, key=attrgetter("objective_id", "key_result_id"))
    return out, set(fresh)
