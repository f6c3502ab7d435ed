"""The bench's phases, run once Django is set up (python -m bench sets it up first).

`run_all` measures the phases asked for, in this order, into `results`:
5. the board page at 50 and 500 initiatives; then on the full data set
2. the full rescore against its raw floor and the naive recomputes, the list
pages and a CSV import of 100,000 evidence rows (bench.csv_import); then, with
gunicorn and a Celery worker started (`serve_phases`),
6. worker memory, 1. ingest, 3. freshness under load, 4. reads.
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import timedelta
from pathlib import Path

from django.contrib.auth.models import Group, User
from django.db import connection
from rest_framework.authtoken.models import Token

from bench import dataset, load, measure
from bench import procs as p
from bench.csv_import import csv_import_phase
from bench.report import log
from roadmap.models import Initiative, RecomputeRun
from roadmap.services.evidence_search import documents_sweep
from roadmap.services.segment_counts import segment_counts_counted_at, segment_counts_refresh
from roadmap.tasks import rescore_all_initiatives

QUICK_SIZES = {
    "initiatives": 1_000,
    "customers": 5_000,
    "segments": 20,
    "evidence": 100_000,
    "objectives": 20,
    "key_results": 100,
}


def run_all(
    results: dict,
    *,
    runs: int,
    quick: bool,
    logdir: Path,
    procs: list,
    only: set[str],
    reuse: bool,
    workers: int = 1,
    probes: int | None = None,
    scale: int = 1,
    pages: list[str] | None = None,
) -> None:
    sizes = dict(QUICK_SIZES if quick else dataset.scaled(scale))
    product = Group.objects.get_or_create(name="product")[0]
    user = User.objects.get_or_create(username="bench")[0]  # token auth only: no password
    user.groups.add(product)
    token = Token.objects.get_or_create(user=user)[0].key

    # --- 5. the board page, at 50 and at 500 initiatives (constant queries) ---------
    board = {}
    for n in (50, 500) if "board" in only and not reuse else ():
        dataset.generate(
            {"initiatives": n, "customers": 2_000, "evidence": n * 100, "key_results": 100}
        )
        measure.rescore(measure.now())
        board[n] = measure.board_page(user, runs)
        log(
            f"board with {n} initiatives: {board[n]['seconds']['median'] * 1000:.0f} ms,"
            f" {board[n]['queries']} queries"
        )
    results["board"] = board

    # --- the full data set ------------------------------------------------------------
    if reuse:
        sizes["initiatives"] = Initiative.objects.count()
        log(f"reusing the database as it is ({sizes['initiatives']:,} initiatives)")
    else:
        log(f"generating {sizes}")
        started = time.perf_counter()
        dataset.generate(sizes)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        results["generate_seconds"] = time.perf_counter() - started
        log(f"generated in {results['generate_seconds']:.0f} s")
    results["sizes"] = sizes
    results["scale"] = scale
    if "rescore" in only:
        rescore_phase(results, runs=runs, quick=quick, sizes=sizes)
    if "rescore" in only or not reuse:
        # Scores as of now, untimed, as the nightly run leaves them: the rescore
        # phase leaves them decayed days ahead (it scores at later dates), and an
        # unscored roadmap would show no ranks. Against scores from days ahead,
        # every item ingested later lifts its initiative past hundreds of others,
        # and the freshness phase measured those rank writes.
        measure.rescore(measure.now())
    if "pages" in only:
        # What the periodic recount (every 10 minutes) keeps for the alignment page;
        # a reused database keeps the counts it has.
        if not reuse or segment_counts_counted_at() is None:
            results["segment_count_seconds"] = measure.timed(segment_counts_refresh)
            log(f"segment evidence counted in {results['segment_count_seconds']:.1f} s")
        # What the periodic sweep (every 10 seconds) keeps for the inbox search: a
        # reused database may have had items ingested since (the bench runs no beat).
        documented = 0
        while added := documents_sweep():
            documented += added
        if documented:
            log(f"search documents added for {documented:,} evidence items")
        pages_phase(results, runs=runs, user=user, sizes=sizes, only_pages=pages)
    if "csv_import" in only:
        csv_import_phase(results, runs=min(runs, 3), quick=quick, sizes=sizes, user=user)
    if only & {"memory", "ingest", "freshness", "reads"}:
        serve_phases(
            results,
            runs=runs,
            quick=quick,
            logdir=logdir,
            procs=procs,
            only=only,
            sizes=sizes,
            token=token,
            workers=workers,
            probes=probes,
        )
    results["breakdown_json_bytes"] = dataset.breakdown_json_size()
    results["machine"]["load_after"] = os.getloadavg()


def pages_phase(
    results: dict, *, runs: int, user, sizes: dict, only_pages: list[str] | None = None
) -> None:
    """5. every page of the app: server time, queries, HTML size, against its target.

    In process through Django's test client (no network, no gunicorn): server
    time as a profiler would see it. The bare page (the app's layout around 50
    rows of one table) is the baseline measured in the same run.
    """
    pages = {}
    for name, path in measure.pages(sizes).items():
        wanted = path == measure.BARE_PAGE or not only_pages
        if not wanted and not any(word in name or word in path for word in only_pages):
            continue
        page = measure.board_page(user, max(3, min(runs, 5)), path)
        page["path"] = path
        page["met"] = (
            page["seconds"]["median"] <= measure.PAGE_TARGET_SECONDS
            and page["bytes"] <= measure.PAGE_TARGET_BYTES
        )
        pages[name] = page
        log(
            f"page {name} ({path}): {page['seconds']['median'] * 1000:,.0f} ms,"
            f" {page['bytes'] / 1e6:.2f} MB, {page['queries']} queries"
        )
    results["pages"] = pages


def rescore_phase(results: dict, *, runs: int, quick: bool, sizes: dict) -> None:
    """2. full rescore vs the raw floor vs the naive recompute."""
    base = measure.now()
    first = measure.rescore(base)
    log(f"first scoring of every initiative (all rows written): {first:.2f} s")
    floor, naive_sql, nightly, reaggregate = [], [], [], []
    for k in range(runs):
        # A day later every evidence-backed score has decayed.
        when = base + timedelta(days=k + 1)
        floor.append(measure.raw_floor(when))
        # The weekly run: the evidence sums forgotten and taken again from all of it.
        reaggregate.append(measure.rescore(when))
        # The nightly run: decay applied to the kept sums, no evidence read.
        nightly.append(measure.rescore(when + timedelta(hours=12), forget_sums=False))
        log(
            f"rescore run {k + 1}: nightly {nightly[-1]:.3f} s, weekly re-aggregation"
            f" {reaggregate[-1]:.3f} s, raw floor {floor[-1]:.3f} s"
        )
    naive_sql.extend(measure.raw_floor(base, naive=True) for _ in range(min(runs, 3)))
    sample = 50 if quick else 100
    naive_seconds, naive_n = measure.naive_rescore_sample(base, sample)
    naive_total = naive_seconds / naive_n * sizes["initiatives"]
    results["rescore"] = {
        "first_all_written": first,
        "nightly": measure.summary(nightly),
        "reaggregate": measure.summary(reaggregate),
        "raw_floor": measure.summary(floor),
        "naive_sql_hash_join": measure.summary(naive_sql),
        "naive_per_initiative": {
            "sample": naive_n,
            "sample_seconds": naive_seconds,
            "extrapolated_seconds": naive_total,
        },
    }
    log(f"naive per-initiative recompute: {naive_total:.1f} s (from {naive_n})")


def serve_phases(
    results: dict,
    *,
    runs: int,
    quick: bool,
    logdir: Path,
    procs: list,
    only: set[str],
    sizes: dict,
    token: str,
    workers: int = 1,
    probes: int | None = None,
) -> None:
    """6. worker memory, 1. ingest, 3. freshness, 4. reads: with gunicorn and `workers` workers.

    Several workers are several processes on both queues, as a scaled-out
    deployment runs them; rescores still go one at a time (the advisory lock).
    """
    # External ids unique to this invocation: a --reuse run must insert, not update.
    tag = f"{int(time.time()) % 1_000_000:06d}"
    started = [p.celery_worker(logdir, index=k) for k in range(workers)]
    procs.extend(started)
    port = p.free_port()
    web_workers = 4
    procs.append(p.gunicorn(port, web_workers, logdir))
    results["gunicorn_workers"] = web_workers
    log(
        f"gunicorn on :{port} ({web_workers} sync workers),"
        f" celery worker pids {', '.join(str(w.pid) for w in started)}"
    )

    if "memory" in only:
        worker_memory_phase(results, runs=runs, workers=started)
    if "ingest" in only:
        ingest_phase(
            results,
            runs=runs,
            quick=quick,
            sizes=sizes,
            port=port,
            token=token,
            web_workers=web_workers,
            tag=tag,
        )
    if "freshness" in only:
        freshness_phase(
            results,
            runs=runs,
            quick=quick,
            sizes=sizes,
            port=port,
            token=token,
            tag=tag,
            probes=probes,
        )
    if "reads" in only:
        reads_phase(results, runs=runs, quick=quick, port=port, token=token)


def worker_memory_phase(results: dict, *, runs: int, workers: list) -> None:
    """6. worker memory during full rescores."""
    # The first worker has two children, the pool process and the embedded
    # beat, in no fixed order; the others one each. The pool process that
    # runs the task is the one whose peak grows. Each run's peak is its own:
    # VmHWM is reset before it.
    children = [pid for worker in workers for pid in p.children(worker.pid)]
    before = {pid: p.memory_kb(pid) for pid in children}
    durations, peaks = [], []
    for _ in range(runs):
        for pid in children:
            p.reset_peak_memory(pid)
        count = RecomputeRun.objects.count()
        rescore_all_initiatives.delay(reaggregate=True)  # the one that reads all evidence
        deadline = time.monotonic() + 120
        while RecomputeRun.objects.count() == count:
            if time.monotonic() > deadline:
                raise RuntimeError("the worker did not finish the full rescore in 120 s")
            time.sleep(0.05)
        durations.append(RecomputeRun.objects.order_by("-id").first().duration_ms / 1000)
        peaks.append(max(p.memory_kb(pid)["VmHWM"] for pid in children) / 1024)
    child = max(children, key=lambda pid: p.memory_kb(pid)["VmHWM"])
    results["worker_memory"] = {
        "rss_before_mb": before[child]["VmRSS"] / 1024,
        "peak_mb": measure.summary(peaks),
        "rescore_seconds_in_worker": measure.summary(durations),
    }
    log(
        f"worker child: {before[child]['VmRSS'] / 1024:.0f} MB before, peak per run"
        f" {', '.join(f'{mb:.0f}' for mb in peaks)} MB over {runs} full rescores"
        f" ({statistics.median(durations):.2f} s each)"
    )


def ingest_phase(
    results: dict,
    *,
    runs: int,
    quick: bool,
    sizes: dict,
    port: int,
    token: str,
    web_workers: int,
    tag: str,
) -> None:
    """1. ingest through the API vs raw COPY and INSERT."""
    batch, batches = 500, (20 if quick else 60)
    api, copy, insert = [], [], []
    cpu = {group: [] for group in (*p.CPU_GROUPS, "bench")}
    # Warm the web workers first (imports, URL resolver, serializers, the
    # database connection: the first run's requests took twice the CPU of
    # the others); a service that has been up is warm. Not timed.
    warm_up = load.evidence_batches(
        count=4 * web_workers,
        size=batch,
        prefix=f"warm{tag}",
        n_initiatives=sizes["initiatives"],
        n_customers=sizes["customers"],
        seed=runs + 1,
    )
    load.post_batches(port, token, warm_up, threads=web_workers)
    for k in range(runs):
        bodies = load.evidence_batches(
            count=batches,
            size=batch,
            prefix=f"api{tag}-{k}",
            n_initiatives=sizes["initiatives"],
            n_customers=sizes["customers"],
            seed=k,
        )
        before = p.cpu_seconds()
        elapsed = load.post_batches(port, token, bodies, threads=web_workers)
        after = p.cpu_seconds()
        api.append(batch * batches / elapsed)
        for group, seconds in after.items():  # CPU ms per batch of 500, by process
            cpu[group].append((seconds - before[group]) * 1000 / batches)
        rows = measure.raw_rows(f"raw{k}", batch * batches, sizes["initiatives"], 10)
        copy.append(len(rows) / measure.raw_copy(rows, batch))
        measure.delete_prefix(f"raw{k}")
        insert.append(len(rows) / measure.raw_insert(rows, batch))
        measure.delete_prefix(f"raw{k}")
        log(
            f"ingest run {k + 1}: API {api[-1]:,.0f} items/s, COPY {copy[-1]:,.0f},"
            f" INSERT {insert[-1]:,.0f}; CPU ms per batch: "
            + ", ".join(f"{group} {values[-1]:.0f}" for group, values in cpu.items())
        )
    results["ingest"] = {
        "batch": batch,
        "items_per_run": batch * batches,
        "api": measure.summary(api),
        "raw_copy": measure.summary(copy),
        "raw_insert": measure.summary(insert),
        "cpu_ms_per_batch": {group: measure.summary(v) for group, v in cpu.items()},
    }


def freshness_phase(
    results: dict,
    *,
    runs: int,
    quick: bool,
    sizes: dict,
    port: int,
    token: str,
    tag: str,
    probes: int | None = None,
) -> None:
    """3. freshness under 1,000 items/s."""
    background = load.evidence_batches(
        count=4000,
        size=100,
        prefix=f"bg{tag}",
        n_initiatives=sizes["initiatives"],
        n_customers=sizes["customers"],
        seed=99,
    )
    paced = load.PacedIngest(port, token, background, per_second=10)
    targets = list(
        Initiative.objects.filter(reach_source="evidence")
        .order_by("id")
        .values_list("id", flat=True)
    )
    probes = probes or (10 if quick else 40)
    # From the engine's steady state: the worker done with what the phases
    # before left it (the ingest phase's ~100,000 items in seconds).
    drain = measure.drained()
    results["freshness_drain_seconds"] = drain
    log(f"freshness: the worker had folded in what earlier phases left after {drain:.1f} s")
    # Each run probes its own initiatives, spread over the ids.
    step = max(1, len(targets) // (probes * runs))
    picks = targets[::step]
    rounds = []
    runs_before = RecomputeRun.objects.count()
    paced.start()
    time.sleep(2)  # let the background rate settle before the first probe
    try:
        for k in range(runs):
            latencies = sorted(
                load.freshness_probe(port, token, initiative_id, f"probe{tag}-{k}-{n}")
                for n, initiative_id in enumerate(picks[k::runs][:probes])
            )
            rounds.append(
                {
                    "p50": statistics.median(latencies),
                    "p95": latencies[max(0, round(0.95 * len(latencies)) - 1)],
                    "max": latencies[-1],
                }
            )
            log(
                f"freshness run {k + 1}: p50 {rounds[-1]['p50'] * 1000:.0f} ms,"
                f" p95 {rounds[-1]['p95'] * 1000:.0f} ms over {len(latencies)} probes"
            )
    finally:
        paced.stop()
    results["freshness"] = {
        "probes_per_run": probes,
        **{key: measure.summary([r[key] for r in rounds]) for key in ("p50", "p95", "max")},
        "background_items_per_s": paced.sent * 100 / paced.elapsed,
        "background_errors": paced.errors,
        "recompute_runs": RecomputeRun.objects.count() - runs_before,
    }


def reads_phase(results: dict, *, runs: int, quick: bool, port: int, token: str) -> None:
    """4. reads under 32 connections: priorities vs the bare DRF list."""
    wrk = p.ensure_wrk()
    seconds = 5 if quick else 10
    for path in ("/api/v1/priorities/", "/bench/bare/"):
        load.wrk(wrk, port, token, path, 2, 32)  # warm every gunicorn worker
    reads: dict[str, list] = {"priorities": [], "bare": []}
    for _ in range(runs):
        reads["priorities"].append(load.wrk(wrk, port, token, "/api/v1/priorities/", seconds, 32))
        reads["bare"].append(load.wrk(wrk, port, token, "/bench/bare/", seconds, 32))
        log(
            f"reads: priorities {reads['priorities'][-1]['rps']:.0f} req/s"
            f" p99 {reads['priorities'][-1]['p99_ms']:.0f} ms;"
            f" bare {reads['bare'][-1]['rps']:.0f} req/s"
            f" p99 {reads['bare'][-1]['p99_ms']:.0f} ms"
        )
    results["reads"] = {
        name: {
            "rps": measure.summary([r["rps"] for r in rows]),
            "p50_ms": measure.summary([r["p50_ms"] for r in rows]),
            "p99_ms": measure.summary([r["p99_ms"] for r in rows]),
            "non_2xx": sum(r["non_2xx"] for r in rows),
        }
        for name, rows in reads.items()
    }
