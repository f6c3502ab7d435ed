"""Measurements taken in the bench process itself, on its own database connection."""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from roadmap import scoring
from roadmap.models import Evidence, FullRescore, Initiative, PendingEvidence
from roadmap.scoring.reach_sql import age_days_sql
from roadmap.services import initiatives_mark, initiatives_rescore_marked
from roadmap.services.rescore import scoring_policy


def summary(values: list[float]) -> dict:
    """Median and spread (min, max) of several runs."""
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "runs": values,
    }


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


# --- Rescore --------------------------------------------------------------------


def mark_all(trigger: str = "schedule", *, forget_sums: bool = True) -> None:
    """Ask for a rescore of everything, as the nightly run does (`forget_sums`: as the
    weekly one does, which aggregates all the evidence again): one FullRescore row."""
    initiatives_mark(ids=None, trigger=trigger, forget_sums=forget_sums, nudge=False)


def settle() -> None:
    """VACUUM the initiative table, as the worker's task does after every full run.

    Production starts each nightly run from the table its previous run left
    vacuumed (`rescore_all_initiatives` calls `initiatives_vacuum`; elsewhere
    autovacuum helps too). Without it the runs of one bench pile up dead rows
    and dead rank-index entries (autovacuum is off on this machine) and each
    measures the leftovers of the runs before it. Untimed, before the floor
    and before each rescore's marks alike.
    """
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) roadmap_initiative")


def rescore(now: datetime, *, forget_sums: bool = True) -> float:
    settle()
    mark_all(forget_sums=forget_sums)
    return timed(lambda: initiatives_rescore_marked(now=now))


def _session_tuning(cursor) -> None:
    """What the rescore's transaction sets, so the floor runs under the same settings."""
    cursor.execute("SET LOCAL work_mem = %s", [settings.RESCORE_WORK_MEM])
    cursor.execute("SET LOCAL enable_hashagg = off")
    cursor.execute("SET LOCAL jit = off")


RAW_AGGREGATE = """
    WITH w AS MATERIALIZED (
        SELECT array_agg(COALESCE(s.weight, 1.0)::float8 ORDER BY g.id) AS weights
        FROM generate_series(1, (SELECT COALESCE(MAX(id), 0) FROM roadmap_customer)) g(id)
        LEFT JOIN roadmap_customer c ON c.id = g.id
        LEFT JOIN roadmap_segment s ON s.id = c.segment_id
    )
    SELECT pc.initiative_id,
           COALESCE(SUM((SELECT weights FROM w)[pc.customer_id]
                        * POWER(0.5, {newest_age} / %(half)s)), 0)
           + COALESCE(SUM(pc.anon), 0) AS reach,
           SUM(pc.items) AS items
    FROM (
        SELECT initiative_id, customer_id, MAX(received_at) AS newest, COUNT(*) AS items,
               SUM(CASE WHEN customer_id IS NULL
                        THEN POWER(0.5, {item_age} / %(half)s) END) AS anon
        FROM roadmap_evidence
        WHERE initiative_id IS NOT NULL
        GROUP BY initiative_id, customer_id
    ) pc
    GROUP BY pc.initiative_id
"""

RAW_UPDATE = """
    UPDATE roadmap_initiative i
    SET reach = a.reach,
        rice_score = a.reach * i.impact * i.confidence / 100.0 / i.effort,
        priority_score = a.reach * i.impact * i.confidence / 100.0 / i.effort
                         * (1 + i.alignment_score),
        evidence_count = a.items,
        scored_at = now()
    FROM ({aggregate}) a
    WHERE i.id = a.initiative_id AND i.reach_source = 'evidence'
"""

# The same aggregate the way one would first write it: hash join to the segment
# weight, default planner choices (shown for contrast; it is what we started from).
NAIVE_SQL_AGGREGATE = """
    WITH pc AS (
        SELECT e.initiative_id, e.customer_id, MAX(e.received_at) AS newest,
               COUNT(*) AS items,
               SUM(CASE WHEN e.customer_id IS NULL
                        THEN POWER(0.5, {item_age} / %(half)s) END) AS anon
        FROM roadmap_evidence e WHERE e.initiative_id IS NOT NULL
        GROUP BY e.initiative_id, e.customer_id
    )
    SELECT pc.initiative_id,
           COALESCE(SUM(CASE WHEN pc.customer_id IS NOT NULL
                    THEN COALESCE(s.weight, 1.0) * POWER(0.5, {newest_age} / %(half)s) END), 0)
           + COALESCE(SUM(pc.anon), 0) AS reach,
           SUM(pc.items) AS items
    FROM pc
    LEFT JOIN roadmap_customer c ON c.id = pc.customer_id
    LEFT JOIN roadmap_segment s ON s.id = c.segment_id
    GROUP BY pc.initiative_id
"""


def _raw_sql(template: str, now: datetime) -> tuple[str, dict]:
    newest = age_days_sql("pc.newest", "postgresql")
    item = age_days_sql("received_at", "postgresql")
    aggregate = template.format(newest_age=newest, item_age=item)
    params = {"epoch": now.timestamp(), "half": scoring_policy().half_life_days}
    return aggregate, params


def raw_floor(now: datetime, *, naive: bool = False) -> float:
    """One aggregate + UPDATE ... FROM of every evidence-backed initiative, rolled back.

    Same semantics as the rescore's reach: each customer once, at the age of
    its newest item, times its segment weight; items without a customer one
    each; exponential decay. Same indexes, same session settings.
    """
    aggregate, params = _raw_sql(NAIVE_SQL_AGGREGATE if naive else RAW_AGGREGATE, now)
    sql = RAW_UPDATE.format(aggregate=aggregate)
    settle()
    started = 0.0
    with transaction.atomic(), connection.cursor() as cursor:
        if not naive:
            _session_tuning(cursor)
        else:
            cursor.execute("SET LOCAL work_mem = %s", [settings.RESCORE_WORK_MEM])
        started = time.perf_counter()
        cursor.execute(sql, params)
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return elapsed


def naive_rescore_sample(now: datetime, sample: int) -> tuple[float, int]:
    """The obvious design: per initiative, load its evidence and alignments through the
    ORM, score it in Python, save it. Timed on `sample` initiatives spread evenly over
    the ids (so the skew is represented), rolled back; returns (seconds, sample size).
    """
    policy = scoring_policy()
    ids = list(Initiative.objects.order_by("id").values_list("id", flat=True))
    step = max(1, len(ids) // sample)
    chosen = ids[::step][:sample]
    started = time.perf_counter()
    with transaction.atomic():
        for pk in chosen:
            initiative = Initiative.objects.get(pk=pk)
            signals = [
                scoring.EvidenceSignal(
                    e.received_at,
                    customer_id=e.customer_id,
                    segment_weight=(
                        e.customer.segment.weight if e.customer and e.customer.segment else None
                    ),
                )
                for e in Evidence.objects.filter(initiative=initiative).select_related(
                    "customer__segment"
                )
            ]
            links = tuple(
                scoring.AlignmentLink(
                    key_result_id=a.key_result_id,
                    key_result=a.key_result.title,
                    objective_id=a.key_result.objective_id,
                    objective=a.key_result.objective.title,
                    contribution=a.contribution,
                    objective_weight=a.key_result.objective.weight,
                    progress=a.key_result.progress,
                )
                for a in initiative.alignments.select_related("key_result__objective")
            )
            result = scoring.score(
                scoring.ScoreInputs(
                    reach_source=initiative.reach_source,
                    manual_reach=initiative.reach,
                    impact=initiative.impact,
                    confidence=initiative.confidence,
                    effort=initiative.effort,
                    evidence=scoring.evidence_reach(signals, now=now, policy=policy),
                    links=links,
                ),
                policy=policy,
            )
            initiative.reach = result.reach
            initiative.rice_score = result.rice_score
            initiative.alignment_score = result.alignment_score
            initiative.priority_score = result.priority_score
            initiative.breakdown = result.breakdown
            initiative.evidence_count = len(signals)
            initiative.save()
        transaction.set_rollback(True)
    return time.perf_counter() - started, len(chosen)


# --- Raw ingest baselines -----------------------------------------------------


def raw_rows(prefix: str, count: int, n_initiatives: int, n_customers: int) -> list[tuple]:
    import random

    rng = random.Random(11)
    now = datetime.now(UTC)
    return [
        (
            "support",
            f"bench feedback {prefix}-{n}: export to CSV takes too long",
            rng.randint(1, n_customers),
            "important",
            now - timedelta(days=rng.uniform(0, 30)),
            f"{prefix}-{n}",
            int(n_initiatives * rng.random() ** 3) + 1,
            now,
            now,
        )
        for n in range(count)
    ]


COLUMNS = (
    "source, text, customer_id, importance, received_at, external_id, initiative_id,"
    " created_at, updated_at"
)


def raw_copy(rows: list[tuple], batch: int) -> float:
    """psycopg COPY, one transaction per batch (as the API commits per request)."""
    started = time.perf_counter()
    for i in range(0, len(rows), batch):
        with (
            transaction.atomic(),
            connection.cursor() as wrapper,
            wrapper.cursor.copy(f"COPY roadmap_evidence ({COLUMNS}) FROM STDIN") as copy,
        ):
            for row in rows[i : i + batch]:
                copy.write_row(row)
    return time.perf_counter() - started


def raw_insert(rows: list[tuple], batch: int) -> float:
    """One multi-row INSERT per batch, one transaction per batch."""
    started = time.perf_counter()
    for i in range(0, len(rows), batch):
        chunk = rows[i : i + batch]
        values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(chunk))
        flat = [v for row in chunk for v in row]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO roadmap_evidence ({COLUMNS}) VALUES {values}", flat)
    return time.perf_counter() - started


def delete_prefix(prefix: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM roadmap_evidence WHERE external_id LIKE %s", [f"{prefix}-%"])


# --- Board page -----------------------------------------------------------------


def board_page(user, runs: int, path: str = "/roadmap/") -> dict:
    """Server time (test client, in process), queries and size of one page, `runs` times."""
    client = Client()
    client.force_login(user)
    client.get(path)  # warm the template cache and the connection
    times, queries, size = [], 0, 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(path)
            times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
        queries = len(ctx.captured_queries)
        size = len(response.content)
    return {"seconds": summary(times), "queries": queries, "bytes": size}


# The browser's pages at full scale (a user of a 10,000-initiative workspace), each
# with its target: server time median, HTML size. The bare page is the baseline.
PAGE_TARGET_SECONDS = 0.3
PAGE_TARGET_BYTES = 1_000_000
ALIGNMENT_TABS = ("matrix", "unaligned", "unserved", "effort", "segments")
BARE_PAGE = "/bench/bare-page/"


def pages(sizes: dict[str, int]) -> dict[str, str]:
    """Name -> path of every page the pages phase measures (`sizes`: the data set's)."""
    from bench.dataset import METRIC_KEY

    return {
        "bare Django page (baseline: 50 initiatives, minimal template)": BARE_PAGE,
        "board": "/roadmap/",
        "board, show more (the Later lane's next 50)": "/roadmap/lanes/later/?offset=50",
        "priorities": "/priorities/",
        "timeline": "/roadmap/timeline/",
        "inbox": "/evidence/",
        # Each state with a term in every item's text ("feedback"), in one item's
        # ("feedback 4242": both words) and in none ("sunflower").
        "inbox, search": "/evidence/?q=feedback",
        "inbox, search matching nothing": "/evidence/?q=sunflower",
        "inbox, linked, search": "/evidence/?state=linked&q=feedback",
        "inbox, linked, search matching nothing": "/evidence/?state=linked&q=sunflower",
        "inbox, dismissed, search": "/evidence/?state=dismissed&q=feedback",
        "inbox, all states, search": "/evidence/?state=all&q=feedback",
        "inbox, all states, search matching one item": "/evidence/?state=all&q=feedback+4242",
        "inbox, all states, search matching nothing": "/evidence/?state=all&q=sunflower",
        **{f"alignment, {tab}": f"/alignment/?tab={tab}" for tab in ALIGNMENT_TABS},
        "OKRs": "/okrs/",
        "OKRs, a key result's chart (drawn as it scrolls into view)": "/okrs/key-results/1/chart/",
        "initiative with 5,000 evidence items": f"/initiatives/{sizes['initiatives']}/",
        "initiative with the most evidence": "/initiatives/1/",
        "objective": "/okrs/objectives/1/",
        "metric": f"/okrs/metrics/{METRIC_KEY}/",
        "key result": "/okrs/key-results/1/",
        "activity": "/activity/",
    }


def now() -> datetime:
    return timezone.now()


def drained(timeout: float = 600.0) -> float:
    """Seconds until the worker has no pending item, mark or full rescore left."""
    started = time.perf_counter()
    while (
        PendingEvidence.objects.exists()
        or Initiative.objects.filter(needs_rescore=True).exists()
        or FullRescore.objects.exists()
    ):
        if time.perf_counter() - started > timeout:
            raise RuntimeError(f"the worker did not catch up within {timeout:.0f} s")
        time.sleep(0.2)
    return time.perf_counter() - started
