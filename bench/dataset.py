"""Generate the benchmark data set with COPY: fast, deterministic, realistic shape.

10,000 initiatives, 50,000 customers in 20 segments, 1,000,000 evidence items,
100 key results under 20 objectives, ~2 alignments per initiative. Evidence is
skewed like real feedback: a few initiatives get most of it; the last
initiative (`BIG_INITIATIVE` items) is the pages phase's "initiative with 5,000
X
day (tracked by five key results), 50 check-ins per key result, and 10 activity
(audit) entries per initiative. `scaled(n)` multiplies the initiatives, customers,
evidence and history by n (`--scale 10`: 100k, 500k, 10M).
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
BIG_INITIATIVE = 5_000  # evidence items on the last initiative
READINGS_PER_SCALE = 100_000
CHECK_INS_PER_KR = 50
AUDIT_PER_INITIATIVE = 10
TRACKING_KRS = 5  # key results 1..5 track the metric
METRIC_KEY = "dau"


def scaled(scale: int) -> dict[str, int]:
    """The full data set times `scale` (segments, objectives and key results stay)."""
    grown = ("initiatives", "customers", "evidence")
    return {k: v * scale if k in grown else v for k, v in SIZES.items()}


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
        # No foreign-key triggers while loading: every id is valid by construction,
        # and Django's deferred FK checks queue one event per row until the COPY
        # ends (10M evidence rows: ~900 MB of queue and minutes of checks after it).
        cur.execute("SET session_replication_role = replica")
        try:
            _load(cur, rng, sizes, now)
        finally:
            cur.execute("SET session_replication_role = DEFAULT")
        cur.execute("ANALYZE")
    return sizes


def _load(cur, rng: random.Random, sizes: dict[str, int], now: datetime) -> None:
    """Every table of the data set, by COPY."""
    cur.execute(
        "TRUNCATE roadmap_scoresnapshot, roadmap_recomputerun, roadmap_evidence,"
        " roadmap_evidencedocument, roadmap_alignment, roadmap_initiative, roadmap_customer,"
        " roadmap_segment,"
        " okrs_checkin, okrs_keyresult, okrs_metricreading, okrs_metric, okrs_objective,"
        " audit_auditentry RESTART IDENTITY CASCADE"
    )
    _copy(
        cur,
        "COPY roadmap_segment (name, description, weight, updated_at) FROM STDIN",
        (
            (f"Segment {i}", "", round(rng.uniform(0.25, 3.0), 2), now)
            for i in range(sizes["segments"])
        ),
    )
    _copy(
        cur,
        "COPY roadmap_customer (name, external_id, segment_id, annual_revenue, created_at,"
        " updated_at) FROM STDIN",
        (
            (
                f"Customer {i}",
                f"c-{i}",
                rng.randint(1, sizes["segments"]),
                rng.randint(1, 500) * 1000,
                now,
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
        "COPY roadmap_alignment (initiative_id, key_result_id, contribution, created_at,"
        " updated_at) FROM STDIN",
        ((i, k, rng.choice(["strong", "medium", "weak"]), now, now) for i, k in sorted(pairs)),
    )

    def evidence():
        n_init = sizes["initiatives"]
        big = min(BIG_INITIATIVE, sizes["evidence"] // 10)
        for n in range(sizes["evidence"]):
            # Skewed like real feedback (the top 1% of initiatives get ~20%
            # of it); 5% is unlinked and waits in the inbox. The first `big`
            # items belong to the last initiative, and only they do.
            if n < big:
                initiative = n_init
            elif rng.random() < 0.05:
                initiative = None
            else:
                initiative = int((n_init - 1) * rng.random() ** 3) + 1
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

    # The evidence table's secondary indexes are built after the load, each in one
    # sort, instead of being updated row by row (most of a 10M-row load's time).
    cur.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'roadmap_evidence'"
        " AND indexname NOT IN (SELECT conname FROM pg_constraint"
        " WHERE conrelid = 'roadmap_evidence'::regclass)"
    )
    indexes = cur.fetchall()
    for name, _ in indexes:
        cur.execute(f'DROP INDEX "{name}"')
    _copy(
        cur,
        "COPY roadmap_evidence (source, text, customer_id, importance, received_at,"
        " external_id, initiative_id, created_at, updated_at) FROM STDIN",
        evidence(),
    )
    for _, definition in indexes:
        cur.execute(definition)
    _documents(cur)
    _history(cur, rng, sizes, now)


def _documents(cur) -> None:
    """Every item's search document, as the sweep would have written them, and the mark."""
    from roadmap.services.evidence_search import INSERT_SQL

    cur.execute("DROP INDEX evidence_document_search")
    cur.execute(INSERT_SQL)
    cur.execute(
        "CREATE INDEX evidence_document_search ON roadmap_evidencedocument USING gin (document)"
    )
    cur.execute(
        "UPDATE roadmap_evidencedocumentmark SET evidence_id ="
        " (SELECT COALESCE(MAX(id), 0) FROM roadmap_evidence), swept_at = now()"
    )


def _history(cur, rng: random.Random, sizes: dict[str, int], now: datetime) -> None:
    """A pushed metric's readings, check-ins on every key result, activity entries."""
    from django.contrib.contenttypes.models import ContentType

    from roadmap.models import Initiative

    scale = max(1, sizes["initiatives"] // SIZES["initiatives"])
    cur.execute(
        "INSERT INTO okrs_metric (key, name, unit, direction, description, derived_kind,"
        " derived_segment, updated_at) VALUES (%s, 'Daily active users', 'users', 'increase',"
        " '', '', '', now()) RETURNING id",
        [METRIC_KEY],
    )
    metric_id = cur.fetchone()[0]
    cur.execute(
        "UPDATE okrs_keyresult SET metric_id = %s WHERE id <= %s", [metric_id, TRACKING_KRS]
    )
    readings = min(READINGS_PER_SCALE * scale, max(100, sizes["evidence"] // 10))
    _copy(
        cur,
        "COPY okrs_metricreading (metric_id, value, observed_at, source, external_id,"
        " created_at, updated_at) FROM STDIN",
        (
            (
                metric_id,
                1000 + n % 500,
                now - timedelta(minutes=readings - n),  # one a minute, oldest first
                "warehouse",
                f"r-{n}",
                now,
                now,
            )
            for n in range(readings)
        ),
    )
    _copy(
        cur,
        "COPY okrs_checkin (key_result_id, value, confidence, note, checked_at, created_at,"
        " updated_at) FROM STDIN",
        (
            (
                kr,
                rng.randint(0, 100),
                "on_track",
                f"check-in {n}",
                now - timedelta(days=n),
                now,
                now,
            )
            for kr in range(1, sizes["key_results"] + 1)
            for n in range(CHECK_INS_PER_KR)
        ),
    )
    kind = ContentType.objects.get_for_model(Initiative).pk
    n_audit = sizes["initiatives"] * AUDIT_PER_INITIATIVE
    _copy(
        cur,
        "COPY audit_auditentry (action, content_type_id, object_id, object_repr, changes,"
        " related_to, created_at) FROM STDIN",
        (
            (
                "update",
                kind,
                n % sizes["initiatives"] + 1,
                f"Initiative {n % sizes['initiatives']}",
                '{"lane": ["next", "now"]}',
                "",
                now - timedelta(seconds=30 * (n_audit - n)),
            )
            for n in range(n_audit)
        ),
    )


def breakdown_json_size() -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT avg(length(breakdown::text)) FROM roadmap_initiative")
        return int(cur.fetchone()[0] or 0)


__all__ = [
    "BIG_INITIATIVE",
    "METRIC_KEY",
    "SIZES",
    "breakdown_json_size",
    "generate",
    "json",
    "scaled",
]
