"""`make bench` (python -m bench [--quick] [--runs N] [--keep] [--workers N] [--probes N]).

Creates its own PostgreSQL database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/priority_bench), fills it at full scale,
starts its own gunicorn and Celery worker (`--workers N`: N worker processes,
for the scale-out figures; Redis db BENCH_CELERY_BROKER_URL,
default redis://127.0.0.1:6379/9), measures, prints a table of every figure
next to its baseline, writes bench/results/latest.json, and drops the database.

The phases are bench.phases; the log lines and the table, bench.report.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import django

from bench import db
from bench.report import log, table

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"  # for django.setup() in main

PHASES = ("board", "rescore", "pages", "csv_import", "memory", "ingest", "freshness", "reads")


def python_work_seconds() -> float:
    """CPU seconds for a fixed piece of Python work shaped like a page's: build
    200,000 small dicts, sort them, encode them as JSON. The host's speed.

    The same code's figures from two sessions compare only in proportion to it:
    a host that shares its cores may run at half its usual speed for hours.
    """
    started = time.process_time()
    rows = [
        {"id": n, "score": (n * 7919) % 1000 / 7.0, "title": f"item {n}"} for n in range(200_000)
    ]
    rows.sort(key=lambda row: (-row["score"], row["id"]))
    json.dumps(rows)
    return round(time.process_time() - started, 3)


def machine() -> dict:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "load_before": os.getloadavg(),
        "python_work_seconds": python_work_seconds(),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="small data set, short runs")
    parser.add_argument("--runs", type=int, default=None, help="runs per figure (default 5)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure on the database a --keep run left (implies --keep; no new data set)",
    )
    parser.add_argument(
        "--only",
        default=",".join(PHASES),
        help=f"comma-separated phases to measure (default all: {','.join(PHASES)})",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="Celery worker processes for memory, ingest, freshness and reads (default 1)",
    )
    parser.add_argument(
        "--probes",
        type=int,
        default=None,
        help="freshness probes per run (default 40; 10 with --quick)",
    )
    parser.add_argument(
        "--scale",
        type=int,
        default=1,
        help="data set size times N (default 1: 10k initiatives, 50k customers, 1M evidence;"
        " 10: 100k, 500k, 10M)",
    )
    parser.add_argument(
        "--pages",
        default="",
        help="pages phase: only the pages whose name or path contains one of these"
        " comma-separated words (default every page)",
    )
    args = parser.parse_args(argv)
    if args.scale < 1 or (args.scale > 1 and args.quick):
        parser.error("--scale must be at least 1, and cannot be combined with --quick")
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    only = set(args.only.split(","))
    if only - set(PHASES):
        parser.error(f"unknown phases: {', '.join(sorted(only - set(PHASES)))}")
    keep = args.keep or args.reuse
    runs = args.runs or (3 if args.quick else 5)

    if not args.reuse:
        log(f"creating database {db.url().rsplit('/', 1)[-1]}")
        db.recreate()
    django.setup()
    # Imported once Django is set up, on the database just made.
    from django.core.management import call_command
    from django.db import connections

    from bench.phases import run_all

    call_command("migrate", verbosity=0)
    results: dict = {
        "machine": machine(),
        "quick": args.quick,
        "runs": runs,
        "celery_workers": args.workers,
    }
    host = results["machine"]
    log(
        f"host: a fixed piece of Python work takes {host['python_work_seconds']:.2f} s of CPU,"
        f" load average {host['load_before'][0]:.1f}"
    )
    logdir = Path(tempfile.mkdtemp(prefix="priority-bench-"))
    procs = []
    try:
        run_all(
            results,
            runs=runs,
            quick=args.quick,
            logdir=logdir,
            procs=procs,
            only=only,
            reuse=args.reuse,
            workers=args.workers,
            probes=args.probes,
            scale=args.scale,
            pages=[w for w in args.pages.split(",") if w],
        )
    finally:
        for proc in reversed(procs):
            proc.stop()
        connections.close_all()
        if not keep:
            db.drop()
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    name = "quick.json" if args.quick else "latest.json"
    if args.scale > 1:
        name = f"scale{args.scale}.json"
    if only != set(PHASES) or args.reuse:
        name = "partial.json" if args.scale == 1 else f"partial-scale{args.scale}.json"
    (out / name).write_text(json.dumps(results, indent=2, default=str))
    print()
    print(table(results))
    log(f"figures written to bench/results/{name}; logs in {logdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
