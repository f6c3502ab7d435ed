"""Generate the benchmark data set with COPY: fast, deterministic, realistic shape.

10,000 initiatives, 50,000 customers in 20 segments, 1,000,000 evidence items,
100 key results under 20 objectives, ~2 alignments per initiative. Evidence is
skewed like real feedback: a few initiatives get most of it.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

from django.db import connection

SIZES = {
    "initiatives": 10_000,
    "customers": 50_000,
    "segments": 20,
    "evidence": 1_000_000,
    "objectives": 20,
    "key_results": 100,
}
SOURCES = ["interview", "survey", "support", "nps", "sales", "in_app", "experiment"]
IMPACTS = [0.25, 0.5, 1.0, 2.0, 3.0]


def _copy(cursor, sql: str, rows) -> None:
    with cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def generate(sizes: dict[str, int] | None = None, seed: int = 7) -> dict[str, int]:
    sizes = {**SIZES, **(sizes or {})}
    rng = random.Random(seed)
    now = datetime.now(UTC)
    with connection.cursor() as wrapper:
        cur = wrapper.cursor  # the psycopg cursor, for COPY
        cur.execute(
            "TRUNCATE roadmap_scoresnapshot, roadmap_recomputerun, roadmap_evidence,"
            " roadmap_alignment, roadmap_initiative, roadmap_customer, roadmap_segment,"
            " okrs_checkin, okrs_keyresult, okrs_metricreading, okrs_metric, okrs_objective"
            " RESTART IDENTITY CASCADE"
        )
        _copy(
            cur,
            "COPY roadmap_segment (name, description, weight) FROM STDIN",
            (
                (f"Segment {i}", "", round(rng.uniform(0.25, 3.0), 2))
                for i in range(sizes["segments"])
            ),
        )
        _copy(
            cur,
            "COPY roadmap_customer (name, external_id, segment_id, annual_revenue, created_at)"
            " FROM STDIN",
            (
                (
                    f"Customer {i}",
                    f"c-{i}",
                    rng.randint(1, sizes["segments"]),
                    rng.randint(1, 500) * 1000,
                    now,
                )
                for i in range(sizes["customers"])
            ),
        )
        _copy(
            cur,
            "COPY okrs_objective (title, description, period, team, weight, rollup_weight,"
            " status, progress, version, created_at, updated_at) FROM STDIN",
            (
                (
                    f"Objective {i}",
                    "",
                    "2026-Q4",
                    "",
                    round(rng.uniform(0.5, 3), 2),
                    1.0,
                    "active",
                    0.0,
                    1,
                    now,
                    now,
                )
                for i in range(sizes["objectives"])
            ),
        )
        _copy(
            cur,
            "COPY okrs_keyresult (objective_id, title, kind, start, target, current, unit,"
            " weight, confidence, progress, version, created_at, updated_at) FROM STDIN",
            (
                (
                    (i % sizes["objectives"]) + 1,
                    f"KR {i}",
                    "increase",
                    0,
                    100,
                    p,
                    "",
                    1.0,
                    "on_track",
                    p / 100,
                    1,
                    now,
                    now,
                )
                for i, p in ((i, rng.randint(0, 100)) for i in range(sizes["key_results"]))
            ),
        )

        def initiatives():
            for i in range(sizes["initiatives"]):
                source = "evidence" if i % 2 else "manual"
                yield (
                    f"Initiative {i}",
                    "",
                    rng.choice(["idea", "planned", "in_progress"]),
                    rng.choice(["now", "next", "later"]),
                    "",
                    f"Team {i % 12}",
                    rng.randint(0, 5000),
                    rng.choice(IMPACTS),
                    rng.choice([50, 80, 100]),
                    rng.choice([0.5, 1, 2, 3, 5, 8]),
                    source,
                    0,
                    0,
                    0,
                    "{}",
                    0,
                    True,
                    "edit",
                    0,
                    1,
                    now,
                    now,
                )

        _copy(
            cur,
            "COPY roadmap_initiative (title, description, status, lane, target_quarter, team,"
            " reach, impact, confidence, effort, reach_source, rice_score, alignment_score,"
            " priority_score, breakdown, evidence_count, needs_rescore, rescore_trigger,"
            " mark_version, version, created_at, updated_at) FROM STDIN",
            initiatives(),
        )
        pairs = set()
        for i in range(1, sizes["initiatives"] + 1):
            for _ in range(rng.choice([0, 1, 2, 2, 3])):
                pairs.add((i, rng.randint(1, sizes["key_results"])))
        _copy(
            cur,
            "COPY roadmap_alignment (initiative_id, key_result_id, contribution, created_at)"
            " FROM STDIN",
            ((i, k, rng.choice(["strong", "medium", "weak"]), now) for i, k in sorted(pairs)),
        )

        def evidence():
            n_init = sizes["initiatives"]
            for n in range(sizes["evidence"]):
                # Skewed like real feedback (the top 1% of initiatives get ~20%
                # of it); 5% is unlinked and waits in the inbox.
                initiative = None if rng.random() < 0.05 else int(n_init * rng.random() ** 3) + 1
                customer = None if rng.random() < 0.1 else rng.randint(1, sizes["customers"])
                received = now - timedelta(days=rng.uniform(0, 365))
                yield (
                    rng.choice(SOURCES),
                    f"feedback {n}",
                    customer,
                    "important",
                    received,
                    f"e-{n}",
                    initiative,
                    now,
                    now,
                )

        _copy(
            cur,
            "COPY roadmap_evidence (source, text, customer_id, importance, received_at,"
            " external_id, initiative_id, created_at, updated_at) FROM STDIN",
            evidence(),
        )
        cur.execute("ANALYZE")
    return sizes


def breakdown_json_size() -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT avg(length(breakdown::text)) FROM roadmap_initiative")
        return int(cur.fetchone()[0] or 0)


__all__ = ["SIZES", "breakdown_json_size", "generate", "json"]
