"""The `csv_import` phase: 100,000 evidence rows from one CSV file, on the full data set.

Each run writes a file shaped like the data set (every row names a customer
by external id, nine in ten known, one in ten new; every row links an
initiative by id, skewed to a few), then times, in process and on the
bench's PostgreSQL, `roadmap.services.imports.evidence_import`:
- the dry run (everything checked, then rolled back),
- the import (new rows),
- the same file again (every row an update by external id),
and deletes what it wrote; then, as the floor, times a raw COPY of as many
rows (bench.measure.raw_copy, batches of 1,000). One more, untimed run of the import under
tracemalloc gives the peak of Python memory it allocates (the file is
streamed: the peak must not grow with the row count).
"""

from __future__ import annotations

import csv
import os
import random
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.db import connection

from bench import measure
from bench.report import log
from roadmap.services.imports import evidence_import

ROWS = 100_000
QUICK_ROWS = 20_000
HEADER = ["external_id", "source", "text", "importance", "received_at"]
HEADER += ["customer_external_id", "initiative"]
SOURCES = ["interview", "support", "sales", "in_app"]


def write_file(path: Path, *, rows: int, prefix: str, sizes: dict, seed: int) -> int:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for n in range(rows):
            known = rng.random() < 0.9
            customer = f"c-{rng.randint(0, sizes['customers'] - 1)}" if known else f"{prefix}c-{n}"
            writer.writerow(
                [
                    f"{prefix}-{n}",
                    rng.choice(SOURCES),
                    f"bench csv feedback {prefix}-{n}: export to CSV takes too long",
                    rng.choice(["nice_to_have", "important", "critical"]),
                    (now - timedelta(days=rng.uniform(0, 30))).isoformat(timespec="seconds"),
                    customer,
                    int(sizes["initiatives"] * rng.random() ** 3) + 1,
                ]
            )
    return path.stat().st_size


def _backend_cpu() -> float:
    """CPU seconds the PostgreSQL backend of this connection has used (it runs on this host)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _import(user, path: Path, *, dry_run: bool = False, cpu: dict | None = None):
    with path.open("rb") as source:
        db_before, py_before = _backend_cpu(), time.process_time()
        started = time.perf_counter()
        report = evidence_import(actor=user, source=source, dry_run=dry_run)
        elapsed = time.perf_counter() - started
        if cpu is not None:
            cpu["python"].append(time.process_time() - py_before)
            cpu["postgres"].append(_backend_cpu() - db_before)
    assert report.ok, report.as_dict()["errors"][:5]
    return report, elapsed


def _clean(prefix: str) -> None:
    measure.delete_prefix(prefix)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM roadmap_customer WHERE external_id LIKE %s", [f"{prefix}c-%"])
        cursor.execute(
            "DELETE FROM roadmap_pendingevidence p WHERE NOT EXISTS"
            " (SELECT 1 FROM roadmap_evidence e WHERE e.id = p.evidence_id)"
        )


def csv_import_phase(results: dict, *, runs: int, quick: bool, sizes: dict, user) -> None:
    rows = QUICK_ROWS if quick else ROWS
    timings: dict[str, list[float]] = {"dry_run": [], "import": [], "reimport": [], "copy": []}
    # CPU seconds of the import (new rows), by process: the figure least moved
    # by other work on a shared host.
    cpu: dict[str, list[float]] = {"python": [], "postgres": []}
    folder = Path(tempfile.mkdtemp(prefix="priority-bench-csv-"))
    size = 0
    for k in range(runs):
        prefix = f"csv{k}"
        path = folder / f"{prefix}.csv"
        size = write_file(path, rows=rows, prefix=prefix, sizes=sizes, seed=k)
        report, dry = _import(user, path, dry_run=True)
        assert report.created == rows
        assert not report.written
        report, first = _import(user, path, cpu=cpu)
        assert report.created == rows
        assert report.written
        report, again = _import(user, path)
        assert report.updated == rows
        assert report.created == 0
        _clean(prefix)
        path.unlink()
        # The floor, in the same run: the same number of rows by raw COPY.
        floor = measure.raw_copy(
            measure.raw_rows(f"{prefix}raw", rows, sizes["initiatives"], sizes["customers"]), 1000
        )
        measure.delete_prefix(f"{prefix}raw")
        timings["copy"].append(floor)
        timings["dry_run"].append(dry)
        timings["import"].append(first)
        timings["reimport"].append(again)
        log(
            f"csv import run {k + 1}: {rows:,} rows ({size / 1e6:.1f} MB):"
            f" dry run {dry:.1f} s, import {first:.1f} s ({rows / first:,.0f} rows/s),"
            f" re-import (updates) {again:.1f} s ({rows / again:,.0f} rows/s); import CPU:"
            f" python {cpu['python'][-1]:.1f} s, postgres {cpu['postgres'][-1]:.1f} s;"
            f" raw COPY of as many rows {floor:.1f} s; load average {os.getloadavg()[0]:.1f}"
        )
    path = folder / "traced.csv"
    write_file(path, rows=rows, prefix="csvt", sizes=sizes, seed=runs)
    tracemalloc.start()
    _import(user, path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    _clean("csvt")
    path.unlink()
    folder.rmdir()
    log(f"csv import: peak Python memory allocated during an import {peak / 1e6:.0f} MB")
    results["csv_import"] = {
        "rows": rows,
        "file_mb": size / 1e6,
        "seconds": {name: measure.summary(values) for name, values in timings.items()},
        "rows_per_s": {
            name: measure.summary([rows / v for v in values]) for name, values in timings.items()
        },
        "peak_python_mb": peak / 1e6,
        "import_cpu_seconds": {name: measure.summary(values) for name, values in cpu.items()},
        "load_average": os.getloadavg(),
    }
