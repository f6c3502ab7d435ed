"""What-if: the ranking a policy change or an edit would give, computed in memory, written nowhere.

`ranking_preview` compares the ranking as stored (what everyone sees now)
with the one that would result. Only the initiatives the change touches are
scored again, with roadmap.scoring, from their stored inputs: every one for
a policy change; the edited ones for initiative edits; those aligned to the
objective or key result for a goal edit (roadmap.selectors_preview_goals).
The rest keep their stored scores, so an unchanged initiative never moves
for a reason that is not the change.

Reach from evidence is the stored reach (as last scored). A policy that
weighs evidence differently takes fresh totals at now
(roadmap.selectors_preview_reach): new importance weights recombine the
sums each initiative keeps by importance; revenue, half-life and the
default segment weight aggregate all the evidence once, the totals only
(on PostgreSQL outside a caller's transaction, in ranges on other
connections, while the initiatives and alignments are read). Queries: the
policy, the initiatives, the alignments (two; three more for a goal edit),
the titles of the initiatives shown, and the kept sums and pending items
or that aggregate when needed; never one per initiative. `python -m bench.preview`
times it at 10,000 initiatives.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from django.db import connection, transaction
from django.utils import timezone

from roadmap import scoring
from roadmap.models import Initiative
from roadmap.scoring import experiments
from roadmap.selectors_preview_goals import goal_links
from roadmap.selectors_preview_reach import start_fresh_totals
from roadmap.services.policy import policy_current
from roadmap.services.rescore import links
from roadmap.services.sql import fetch_numbers

RANKED = frozenset(str(s) for s in Initiative.RANKED_STATUSES)


class Row(NamedTuple):
    """An initiative as stored, with what scoring it needs."""

    id: int
    status: str
    reach_source: str
    reach: float
    impact: float
    confidence: float
    effort: float
    ease: float | None
    business_value: int | None
    time_criticality: int | None
    risk_reduction: int | None
    job_size: int | None
    priority_score: float
    rank_key: float | None  # None: not ranked (roadmap.models.ranks)
    experiment: bool  # a significant positive experiment (read when the policy uses it)


# Fixed names only.
ROW_SQL = f"SELECT {', '.join(Row._fields[:-1])}, {{experiment}} FROM roadmap_initiative"  # noqa: S608
EDITABLE = frozenset(Row._fields) - {"id", "priority_score", "rank_key", "experiment"}


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
        return _places(self.rank_before, self.rank_after)


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
    objectives: dict[int, dict] | None = None,
    key_results: dict[int, dict] | None = None,
    now: datetime | None = None,
    limit: int = 50,
    top: int = 10,
) -> Preview:
    """The ranking under `policy` (None: the current one) with the edits applied.

    `initiatives`: {id: {field: value}} (fields in EDITABLE, already validated);
    `objective_weights`: {objective id: weight}; `objectives` and
    `key_results`: a goal edit as okrs.previews passes it on
    ({id: {"weight", "cancelled"}}, {id: {"progress", "objective"}}).
    Nothing is written.
    """
    started = time.perf_counter()
    now = now or timezone.now()
    current = policy_current()
    proposed = policy or current
    initiatives = initiatives or {}
    objectives = dict(objectives or {})
    for oid, weight in (objective_weights or {}).items():
        objectives[oid] = {**objectives.get(oid, {}), "weight": weight}
    key_results = key_results or {}
    goals = bool(objectives or key_results)
    policy_changed = proposed != current
    # One transaction: an aggregate on other connections reads at its snapshot.
    with transaction.atomic(), connection.cursor() as cursor:
        fresh_later = None
        if proposed.evidence_terms() != current.evidence_terms():
            # The aggregate reads the initiatives whose reach is from evidence, and these.
            to_evidence = tuple(
                sorted(
                    iid
                    for iid, edit in initiatives.items()
                    if edit.get("reach_source") == Initiative.ReachSource.EVIDENCE
                )
            )
            fresh_later = start_fresh_totals(cursor, now, current, proposed, to_evidence)
        experiment = "false"
        if proposed.experiment_confidence is not None:
            experiment = experiments.initiative_has_significant_sql("roadmap_initiative.id")
        sql = ROW_SQL.format(experiment=experiment)
        rows = {row.id: row for row in fetch_numbers(cursor, sql, [], Row)}
        # Every initiative's links when the policy or an objective may touch
        # any of them; else only the edited ones'.
        wide = policy_changed or goals
        alignments = links.alignment_links(cursor, None if wide else sorted(initiatives))
        fresh, reaggregated = fresh_later() if fresh_later else (None, False)
    relinked: set[int] = set()
    if goals:
        alignments, relinked = goal_links(alignments, objectives, key_results)
    touched = set(rows) if policy_changed else (set(initiatives) | relinked) & set(rows)
    after: dict[int, float] = {}
    failures: dict[int, str] = {}
    for iid in touched:
        row = rows[iid]
        if iid in initiatives:
            row = rows[iid] = row._replace(**initiatives[iid])
        try:
            after[iid] = _score(row, alignments.get(iid, ()), proposed, fresh)
        except (scoring.ScoringError, TypeError, KeyError) as exc:
            failures[iid] = str(exc)
    # Ranked: open work once scored (a preview scores what it touches).
    ranked_now = sorted(
        (row.rank_key, iid) for iid, row in rows.items() if row.rank_key is not None
    )
    old_rank = {iid: n for n, (_, iid) in enumerate(ranked_now, 1)}
    ranking = sorted(
        (-after.get(iid, row.priority_score), iid)
        for iid, row in rows.items()
        if row.status in RANKED and (row.rank_key is not None or iid in after)
    )
    new_rank = {iid: n for n, (_, iid) in enumerate(ranking, 1)}
    moved = [
        (iid, old_rank.get(iid), new_rank.get(iid))
        for iid in rows
        if old_rank.get(iid) != new_rank.get(iid)
    ]
    up = sum(1 for _, was, now_at in moved if (_places(was, now_at) or 0) > 0)
    down = sum(1 for _, was, now_at in moved if (_places(was, now_at) or 0) < 0)
    moved.sort(key=lambda m: (-abs(_places(m[1], m[2]) or len(rows)), m[0]))
    shown_moves = [iid for iid, _, _ in moved[:limit]]
    shown_top = [iid for _, iid in ranking[:top]]
    titles = dict(
        Initiative.objects.filter(pk__in={*shown_moves, *shown_top}).values_list("id", "title")
    )

    def move(iid: int) -> Move:
        row = rows[iid]
        return Move(
            id=iid,
            title=titles.get(iid, ""),
            rank_before=old_rank.get(iid),
            rank_after=new_rank.get(iid),
            score_before=row.priority_score,
            score_after=after.get(iid, row.priority_score),
        )

    return Preview(
        ranked=len(new_rank),
        rescored=len(touched),
        up=up,
        down=down,
        moves=[move(iid) for iid in shown_moves],
        top=[move(iid) for iid in shown_top],
        failures=failures,
        reaggregated=reaggregated,
        seconds=time.perf_counter() - started,
    )


def preview_body(preview: Preview) -> dict:
    """The preview as the API answers it (PreviewSerializer's shape); the pages render it too."""

    def move(m):
        return {
            "id": m.id,
            "title": m.title,
            "rank_before": m.rank_before,
            "rank_after": m.rank_after,
            "places": m.places,
            "score_before": m.score_before,
            "score_after": m.score_after,
        }

    return {
        "ranked": preview.ranked,
        "rescored": preview.rescored,
        "up": preview.up,
        "down": preview.down,
        "moves": [move(m) for m in preview.moves],
        "top": [move(m) for m in preview.top],
        "failures": {str(k): v for k, v in preview.failures.items()},
        "reaggregated": preview.reaggregated,
        "seconds": round(preview.seconds, 4),
    }


def _places(before: int | None, after: int | None) -> int | None:
    if before is None or after is None:
        return None
    return before - after


def _score(row: Row, links_: list, policy: scoring.ScoringPolicy, fresh: dict | None) -> float:
    evidence = None
    if row.reach_source == Initiative.ReachSource.EVIDENCE:
        if fresh is not None:
            totals = fresh.get(row.id)
            evidence = scoring.reach_from_totals(
                from_customers=totals.from_customers if totals else 0.0,
                customers=totals.customers if totals else 0,
                anonymous=totals.anonymous if totals else 0.0,
                anonymous_items=totals.anonymous_items if totals else 0,
                policy=policy,
            )
        else:
            evidence = scoring.ReachResult(float(row.reach), 0, 0)
    extra = NO_EXTRA
    if policy.framework != "rice":
        extra = scoring.FrameworkInputs(
            row.ease, row.business_value, row.time_criticality, row.risk_reduction, row.job_size
        )
    return scoring.priority_of(
        scoring.ScoreInputs(
            row.reach_source,
            float(row.reach),
            float(row.impact),
            float(row.confidence),
            float(row.effort),
            evidence,
            tuple(links_),
            extra,
            bool(row.experiment),
        ),
        policy=policy,
    )


NO_EXTRA = scoring.FrameworkInputs()


def goal_preview(*, objectives: dict[int, dict], key_results: dict[int, dict]) -> dict:
    """okrs.previews' question: the ranking after a goal edit, as the API's body."""
    return preview_body(ranking_preview(objectives=objectives, key_results=key_results))
