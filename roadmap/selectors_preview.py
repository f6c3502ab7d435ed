"""What-if: the ranking a policy change or an edit would give, computed in memory, written nowhere.

`ranking_preview` compares the ranking as stored (what everyone sees now)
with the one that would result. Only the initiatives the change touches are
scored again, with roadmap.scoring, from their stored inputs: every one for
a policy change; the edited one for an initiative edit; those aligned to the
objective for an objective's weight. The rest keep their stored scores, so
an unchanged initiative never moves for a reason that is not the change.

Reach from evidence is the stored reach (as last scored). A policy that
weighs evidence differently (importance, revenue, half-life) takes fresh
totals: the reach aggregate of every initiative, once (rescore.aggregate),
at now. Queries: the policy, the initiatives, the alignments (two), and that
aggregate when needed; never one per initiative.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import datetime

from django.db import connection
from django.utils import timezone

from roadmap import scoring
from roadmap.models import Initiative
from roadmap.services.policy import policy_current
from roadmap.services.rescore import aggregate, links

RANKED = frozenset(str(s) for s in Initiative.RANKED_STATUSES)
COLUMNS = (
    "id",
    "title",
    "status",
    "reach_source",
    "reach",
    "impact",
    "confidence",
    "effort",
    "ease",
    "business_value",
    "time_criticality",
    "risk_reduction",
    "job_size",
    "priority_score",
    "rank",
)
EDITABLE = frozenset(COLUMNS) - {"id", "title", "priority_score", "rank"}


@dataclass(frozen=True)
class Move:
    id: int
    title: str
    rank_before: int | None
    rank_after: int | None
    score_before: float
    score_after: float

    @property
    def places(self) -> int | None:
        """Places moved: positive is up; None when it enters or leaves the ranking."""
        if self.rank_before is None or self.rank_after is None:
            return None
        return self.rank_before - self.rank_after


@dataclass
class Preview:
    ranked: int
    rescored: int  # initiatives scored again for the preview
    up: int
    down: int
    moves: list[Move]  # the largest moves first, at most `limit`
    top: list[Move]  # the first `top` of the resulting ranking
    failures: dict[int, str] = field(default_factory=dict)  # could not be scored: kept as stored
    reaggregated: bool = False  # reach totals taken afresh (the policy weighs evidence anew)
    seconds: float = 0.0


def ranking_preview(
    *,
    policy: scoring.ScoringPolicy | None = None,
    initiatives: dict[int, dict] | None = None,
    objective_weights: dict[int, float] | None = None,
    now: datetime | None = None,
    limit: int = 50,
    top: int = 10,
) -> Preview:
    """The ranking under `policy` (None: the current one) with the edits applied.

    `initiatives`: {id: {field: value}} (fields in EDITABLE, already validated);
    `objective_weights`: {objective id: weight}. Nothing is written.
    """
    started = time.perf_counter()
    now = now or timezone.now()
    current = policy_current()
    proposed = policy or current
    initiatives = initiatives or {}
    objective_weights = objective_weights or {}
    policy_changed = proposed != current
    rows = {row[0]: dict(zip(COLUMNS, row, strict=True)) for row in _rows()}
    with connection.cursor() as cursor:
        alignments = links.alignment_links(cursor, None)
        fresh = None
        if proposed.evidence_terms() != current.evidence_terms():
            fresh = {r.initiative_id: r for r in aggregate.reach_rows(cursor, None, now, proposed)}
    if objective_weights:
        alignments = _reweighed(alignments, objective_weights)
    if policy_changed:
        touched = set(rows)
    else:
        touched = set(initiatives) & set(rows)
        touched |= {
            iid
            for iid, ls in alignments.items()
            if iid in rows and any(link.objective_id in objective_weights for link in ls)
        }
    after: dict[int, float] = {}
    failures: dict[int, str] = {}
    for iid in touched:
        row = rows[iid]
        row.update(initiatives.get(iid, {}))
        try:
            after[iid] = _score(row, alignments.get(iid, ()), proposed, fresh)
        except (scoring.ScoringError, TypeError, KeyError) as exc:
            failures[iid] = str(exc)
    new_rank = _ranks(
        (iid, after.get(iid, row["priority_score"]))
        for iid, row in rows.items()
        if row["status"] in RANKED
    )
    moves = [
        Move(
            id=iid,
            title=row["title"],
            rank_before=row["rank"],
            rank_after=new_rank.get(iid),
            score_before=row["priority_score"],
            score_after=after.get(iid, row["priority_score"]),
        )
        for iid, row in rows.items()
        if row["rank"] is not None or iid in new_rank
    ]
    moved = [m for m in moves if m.rank_before != m.rank_after]
    moved.sort(key=lambda m: (-abs(m.places) if m.places is not None else -len(rows), m.id))
    by_new = sorted((m for m in moves if m.rank_after is not None), key=lambda m: m.rank_after)
    return Preview(
        ranked=len(new_rank),
        rescored=len(touched),
        up=sum(1 for m in moved if m.places is not None and m.places > 0),
        down=sum(1 for m in moved if m.places is not None and m.places < 0),
        moves=moved[:limit],
        top=by_new[:top],
        failures=failures,
        reaggregated=fresh is not None,
        seconds=time.perf_counter() - started,
    )


def _rows():
    return Initiative.objects.order_by().values_list(*COLUMNS)


def _ranks(scores) -> dict[int, int]:
    """Ranked work by score, then id: the rescore's rule (rescore.rank)."""
    ordered = sorted((-score, iid) for iid, score in scores)
    return {iid: n for n, (_, iid) in enumerate(ordered, 1)}


def _reweighed(alignments: dict, weights: dict[int, float]) -> dict:
    swapped: dict[int, scoring.AlignmentLink] = {}

    def swap(link: scoring.AlignmentLink) -> scoring.AlignmentLink:
        if link.objective_id not in weights:
            return link
        if id(link) not in swapped:
            swapped[id(link)] = replace(link, objective_weight=float(weights[link.objective_id]))
        return swapped[id(link)]

    return {iid: [swap(link) for link in ls] for iid, ls in alignments.items()}


def _score(row: dict, links_: list, policy: scoring.ScoringPolicy, fresh: dict | None) -> float:
    evidence = None
    if row["reach_source"] == Initiative.ReachSource.EVIDENCE:
        if fresh is not None:
            totals = fresh.get(row["id"])
            evidence = scoring.reach_from_totals(
                from_customers=totals.from_customers if totals else 0.0,
                customers=totals.customers if totals else 0,
                anonymous=totals.anonymous if totals else 0.0,
                anonymous_items=totals.anonymous_items if totals else 0,
                policy=policy,
            )
        else:
            evidence = scoring.ReachResult(float(row["reach"]), 0, 0)
    result = scoring.score(
        scoring.ScoreInputs(
            reach_source=row["reach_source"],
            manual_reach=float(row["reach"]),
            impact=float(row["impact"]),
            confidence=float(row["confidence"]),
            effort=float(row["effort"]),
            evidence=evidence,
            links=tuple(links_),
            extra=scoring.FrameworkInputs(
                ease=row["ease"],
                business_value=row["business_value"],
                time_criticality=row["time_criticality"],
                risk_reduction=row["risk_reduction"],
                job_size=row["job_size"],
            ),
        ),
        policy=policy,
    )
    return result.priority_score
