"""The set-based rescore: claim marked initiatives, score them, rank, snapshot.

One transaction does all of it, so a worker that dies half-way rolls back and
leaves the marks in place for the next run (redelivery or the sweep). Running
it twice in a row changes nothing the second time.

Aggregates are taken in SQL (distinct customers per initiative, segment
weight, decay by age of the newest evidence); the per-initiative arithmetic
runs through the pure functions in roadmap.scoring so there is one definition
of the formula; the results go back in one UPDATE ... FROM, and ranks in one
UPDATE over a window function.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from roadmap import scoring
from roadmap.models import Initiative, RecomputeRun, ScoreSnapshot

RANKED = tuple(str(s) for s in Initiative.RANKED_STATUSES)
ADVISORY_LOCK_KEY = 7_302_001  # any constant; serializes rescoring on PostgreSQL


def scoring_policy() -> scoring.ScoringPolicy:
    return scoring.ScoringPolicy(
        half_life_days=settings.PRIORITY_EVIDENCE_HALF_LIFE_DAYS,
        alignment_floor=settings.PRIORITY_ALIGNMENT_FLOOR,
    )


@dataclass(frozen=True)
class RescoreResult:
    claimed: int
    changed_ids: list[int]
    snapshot_ids: list[int]


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _ids_filter(column: str) -> str:
    """SQL that keeps rows whose `column` is in the one JSON/array parameter."""
    if _is_postgres():
        return f"{column} = ANY(%s)"
    return f"{column} IN (SELECT value FROM json_each(%s))"


def _ids_param(ids: list[int]):
    return ids if _is_postgres() else json.dumps(ids)


def _age_days_sql(column: str) -> str:
    if _is_postgres():
        return f"GREATEST(EXTRACT(EPOCH FROM (%s - {column})) / 86400.0, 0)"
    return f"MAX(julianday(%s) - julianday({column}), 0)"


def _now_param(now: datetime):
    if _is_postgres():
        return now
    return now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _claim(cursor) -> list[tuple[int, str]]:
    if _is_postgres():
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
        cursor.execute(
            "SELECT id, rescore_trigger FROM roadmap_initiative WHERE needs_rescore"
            " ORDER BY id FOR UPDATE"
        )
    else:
        cursor.execute(
            "SELECT id, rescore_trigger FROM roadmap_initiative WHERE needs_rescore ORDER BY id"
        )
    return cursor.fetchall()


def _reach_aggregates(cursor, ids: list[int], now: datetime, half_life: float) -> dict:
    """Per initiative: (from_customers, customers, anonymous, anonymous_items, evidence_count)."""
    out: dict[int, list] = {i: [0.0, 0, 0.0, 0, 0] for i in ids}
    age = _age_days_sql("pc.newest")
    cursor.execute(
        f"""
        WITH pc AS (
            SELECT e.initiative_id, e.customer_id, MAX(e.received_at) AS newest
            FROM roadmap_evidence e
            WHERE {_ids_filter("e.initiative_id")} AND e.customer_id IS NOT NULL
            GROUP BY e.initiative_id, e.customer_id
        )
        SELECT pc.initiative_id,
               SUM(COALESCE(s.weight, %s) * POWER(0.5, {age} / %s)),
               COUNT(*)
        FROM pc
        JOIN roadmap_customer c ON c.id = pc.customer_id
        LEFT JOIN roadmap_segment s ON s.id = c.segment_id
        GROUP BY pc.initiative_id
        """,
        [
            _ids_param(ids),
            scoring.DEFAULT_POLICY.default_segment_weight,
            _now_param(now),
            half_life,
        ],
    )
    for initiative_id, weighted, customers in cursor.fetchall():
        out[initiative_id][0] = float(weighted or 0)
        out[initiative_id][1] = int(customers)
    age = _age_days_sql("e.received_at")
    cursor.execute(
        f"""
        SELECT e.initiative_id,
               SUM(CASE WHEN e.customer_id IS NULL THEN POWER(0.5, {age} / %s) ELSE 0 END),
               SUM(CASE WHEN e.customer_id IS NULL THEN 1 ELSE 0 END),
               COUNT(*)
        FROM roadmap_evidence e
        WHERE {_ids_filter("e.initiative_id")}
        GROUP BY e.initiative_id
        """,
        [_now_param(now), half_life, _ids_param(ids)],
    )
    for initiative_id, anonymous, anonymous_items, count in cursor.fetchall():
        row = out[initiative_id]
        row[2] = float(anonymous or 0)
        row[3] = int(anonymous_items or 0)
        row[4] = int(count)
    return out


def _alignment_links(cursor, ids: list[int]) -> dict[int, list[scoring.AlignmentLink]]:
    out: dict[int, list[scoring.AlignmentLink]] = {}
    cursor.execute(
        f"""
        SELECT a.initiative_id, kr.id, kr.title, o.id, o.title, a.contribution, o.weight,
               kr.progress
        FROM roadmap_alignment a
        JOIN okrs_keyresult kr ON kr.id = a.key_result_id
        JOIN okrs_objective o ON o.id = kr.objective_id
        WHERE {_ids_filter("a.initiative_id")} AND o.status <> 'cancelled'
        ORDER BY a.initiative_id, o.id, kr.id
        """,
        [_ids_param(ids)],
    )
    for (
        initiative_id,
        kr_id,
        kr_title,
        obj_id,
        obj_title,
        contribution,
        weight,
        prog,
    ) in cursor.fetchall():
        out.setdefault(initiative_id, []).append(
            scoring.AlignmentLink(
                key_result_id=kr_id,
                key_result=kr_title,
                objective_id=obj_id,
                objective=obj_title,
                contribution=contribution,
                objective_weight=float(weight),
                progress=float(prog),
            )
        )
    return out


def _write_scores(cursor, rows: list[dict], now: datetime) -> None:
    payload = json.dumps(rows, separators=(",", ":"))
    if _is_postgres():
        cursor.execute(
            """
            UPDATE roadmap_initiative AS i
            SET rice_score = v.rice_score, alignment_score = v.alignment_score,
                priority_score = v.priority_score, breakdown = v.breakdown,
                evidence_count = v.evidence_count, reach = v.reach,
                scored_at = %s, needs_rescore = false
            FROM jsonb_to_recordset(%s::jsonb) AS v(
                id bigint, rice_score float8, alignment_score float8, priority_score float8,
                breakdown jsonb, evidence_count integer, reach float8)
            WHERE i.id = v.id
            """,
            [now, payload],
        )
    else:
        cursor.execute(
            """
            UPDATE roadmap_initiative
            SET rice_score = v.rice_score, alignment_score = v.alignment_score,
                priority_score = v.priority_score, breakdown = v.breakdown,
                evidence_count = v.evidence_count, reach = v.reach,
                scored_at = %s, needs_rescore = 0
            FROM (
                SELECT json_extract(value, '$.id') AS id,
                       json_extract(value, '$.rice_score') AS rice_score,
                       json_extract(value, '$.alignment_score') AS alignment_score,
                       json_extract(value, '$.priority_score') AS priority_score,
                       json(json_extract(value, '$.breakdown')) AS breakdown,
                       json_extract(value, '$.evidence_count') AS evidence_count,
                       json_extract(value, '$.reach') AS reach
                FROM json_each(%s)
            ) AS v
            WHERE roadmap_initiative.id = v.id
            """,
            [_now_param(now), payload],
        )


def _rerank(cursor) -> dict[int, tuple[int | None, int | None]]:
    """Re-rank every initiative; return {id: (old_rank, new_rank)} for those that moved."""
    placeholders = ", ".join(["%s"] * len(RANKED))
    distinct = "IS DISTINCT FROM" if _is_postgres() else "IS NOT"
    cursor.execute(
        f"""
        SELECT id, old_rank, new_rank FROM (
            SELECT id, rank AS old_rank,
                   CASE WHEN status IN ({placeholders}) THEN ROW_NUMBER() OVER (
                       PARTITION BY status IN ({placeholders})
                       ORDER BY priority_score DESC, id
                   ) END AS new_rank
            FROM roadmap_initiative
        ) r
        WHERE old_rank {distinct} new_rank
        """,
        [*RANKED, *RANKED],
    )
    moved = {row[0]: (row[1], row[2]) for row in cursor.fetchall()}
    if moved:
        payload = json.dumps([[i, new] for i, (_, new) in moved.items()])
        if _is_postgres():
            cursor.execute(
                """
                UPDATE roadmap_initiative AS i SET rank = v.new_rank
                FROM jsonb_to_recordset(
                    (SELECT jsonb_agg(jsonb_build_object('id', x->0, 'new_rank', x->1))
                     FROM jsonb_array_elements(%s::jsonb) x)
                ) AS v(id bigint, new_rank integer)
                WHERE i.id = v.id
                """,
                [payload],
            )
        else:
            cursor.execute(
                """
                UPDATE roadmap_initiative SET rank = v.new_rank
                FROM (SELECT json_extract(value, '$[0]') AS id,
                             json_extract(value, '$[1]') AS new_rank
                      FROM json_each(%s)) AS v
                WHERE roadmap_initiative.id = v.id
                """,
                [payload],
            )
    return moved


@transaction.atomic
def initiatives_rescore_marked(*, now: datetime | None = None) -> RescoreResult:
    """Score every initiative marked `needs_rescore`, re-rank, snapshot what moved."""
    started = time.perf_counter()
    now = now or timezone.now()
    policy = scoring_policy()
    with connection.cursor() as cursor:
        claimed = _claim(cursor)
        if not claimed:
            return RescoreResult(claimed=0, changed_ids=[], snapshot_ids=[])
        ids = [row[0] for row in claimed]
        triggers = dict(claimed)
        reach = _reach_aggregates(cursor, ids, now, policy.half_life_days)
        links = _alignment_links(cursor, ids)
        cursor.execute(
            "SELECT id, reach_source, reach, impact, confidence, effort, rice_score,"
            " alignment_score, priority_score, rank"
            f" FROM roadmap_initiative WHERE {_ids_filter('id')}",
            [_ids_param(ids)],
        )
        before: dict[int, tuple] = {}
        rows = []
        for iid, source, manual_reach, impact, conf, effort, *old in cursor.fetchall():
            from_customers, customers, anonymous, anonymous_items, count = reach[iid]
            result = scoring.score(
                scoring.ScoreInputs(
                    reach_source=source,
                    manual_reach=float(manual_reach),
                    impact=float(impact),
                    confidence=float(conf),
                    effort=float(effort),
                    evidence=scoring.reach_from_totals(
                        from_customers=from_customers,
                        customers=customers,
                        anonymous=anonymous,
                        anonymous_items=anonymous_items,
                        policy=policy,
                    ),
                    links=tuple(links.get(iid, ())),
                ),
                policy=policy,
            )
            before[iid] = (float(impact), float(conf), float(effort), *old)
            rows.append(
                {
                    "id": iid,
                    "rice_score": result.rice_score,
                    "alignment_score": result.alignment_score,
                    "priority_score": result.priority_score,
                    "breakdown": result.breakdown,
                    "evidence_count": count,
                    "reach": result.reach,
                }
            )
        _write_scores(cursor, rows, now)
        moved_rank = _rerank(cursor)

    score_changed = {
        row["id"]
        for row in rows
        if round(row["priority_score"], 6) != round(before[row["id"]][5], 6)
    }
    changed = sorted(score_changed | set(moved_rank))
    snapshot_ids = _snapshot(changed, triggers, before, moved_rank)
    RecomputeRun.objects.create(
        trigger=_dominant_trigger(triggers),
        claimed=len(ids),
        changed=len(changed),
        duration_ms=(time.perf_counter() - started) * 1000,
    )
    if snapshot_ids:
        from roadmap.tasks import deliver_priority_changed

        deliver_priority_changed.delay_on_commit(snapshot_ids)
    return RescoreResult(claimed=len(ids), changed_ids=changed, snapshot_ids=snapshot_ids)


def _dominant_trigger(triggers: dict[int, str]) -> str:
    values = set(triggers.values())
    for trigger in ("edit", "evidence", "metric", "schedule"):
        if trigger in values:
            return trigger
    return "schedule"


def _snapshot(changed, triggers, before, moved_rank) -> list[int]:
    if not changed:
        return []
    snapshots = []
    for initiative in Initiative.objects.filter(id__in=changed).only(
        "id",
        "reach",
        "impact",
        "confidence",
        "effort",
        "rice_score",
        "alignment_score",
        "priority_score",
        "rank",
    ):
        old = before.get(initiative.id)
        old_priority = old[5] if old else initiative.priority_score
        old_rank = moved_rank[initiative.id][0] if initiative.id in moved_rank else initiative.rank
        snapshots.append(
            ScoreSnapshot(
                initiative_id=initiative.id,
                reach=initiative.reach,
                impact=initiative.impact,
                confidence=initiative.confidence,
                effort=initiative.effort,
                rice_score=initiative.rice_score,
                alignment_score=initiative.alignment_score,
                priority_score=initiative.priority_score,
                rank=initiative.rank,
                previous_priority_score=old_priority,
                previous_rank=old_rank,
                trigger=triggers.get(initiative.id, "schedule"),
            )
        )
    created = ScoreSnapshot.objects.bulk_create(snapshots, batch_size=2000)
    return [s.pk for s in created]
