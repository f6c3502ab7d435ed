"""What the bench prints: its log lines, and the Markdown table of docs/PERFORMANCE.md."""

from __future__ import annotations

import os
import time


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def _s(stat: dict, scale: float = 1.0, fmt: str = "{:.2f}") -> str:
    return (
        f"{fmt.format(stat['median'] * scale)}"
        f" ({fmt.format(stat['min'] * scale)}-{fmt.format(stat['max'] * scale)})"
    )


def table(r: dict) -> str:
    """The Markdown table of docs/PERFORMANCE.md; rows for phases not measured are left out."""
    lines = [
        "| # | Figure | Measured: median (min-max) | Baseline, same run | Target | Met |",
        "|---|---|---|---|---|---|",
    ]
    if ing := r.get("ingest"):
        lines.append(
            f"| 1 | Evidence ingest via API, batches of {ing['batch']} (items/s) |"
            f" {_s(ing['api'], fmt='{:,.0f}')} | raw COPY {_s(ing['raw_copy'], fmt='{:,.0f}')};"
            f" batched INSERT {_s(ing['raw_insert'], fmt='{:,.0f}')} | ≥ 10,000 |"
            f" {'yes' if ing['api']['median'] >= 10_000 else 'no'} |"
        )
        if cpu := ing.get("cpu_ms_per_batch"):
            lines.append(
                "| 1 | CPU per batch of 500 while ingesting through the API (ms, by process) | "
                + ", ".join(
                    f"{group} {values['median']:.0f}"
                    for group, values in cpu.items()
                    if group != "bench"
                )
                + f"; load generator {cpu['bench']['median']:.0f} |"
                f" {os.cpu_count()} cores: {os.cpu_count() * 50} ms per batch at 10,000/s"
                " for all of it | — | — |"
            )
    if ci := r.get("csv_import"):
        rate = ci["rows_per_s"]
        lines.append(
            f"| 1 | CSV import of {ci['rows']:,} evidence rows ({ci['file_mb']:.0f} MB file),"
            f" in process (s; rows/s) | import {_s(ci['seconds']['import'], fmt='{:.1f}')} s ="
            f" {_s(rate['import'], fmt='{:,.0f}')} rows/s; dry run"
            f" {_s(ci['seconds']['dry_run'], fmt='{:.1f}')} s; re-import (all updates)"
            f" {_s(ci['seconds']['reimport'], fmt='{:.1f}')} s; peak Python memory"
            f" {ci['peak_python_mb']:.0f} MB |"
            + (
                f" raw COPY of as many rows {_s(ci['seconds']['copy'], fmt='{:.1f}')} s"
                if "copy" in ci["seconds"]
                else " —"
            )
            + " | — | — |"
        )
        if cpu := ci.get("import_cpu_seconds"):
            lines.append(
                f"| 1 | CPU of that import (s, by process) | python"
                f" {_s(cpu['python'], fmt='{:.1f}')}, postgres {_s(cpu['postgres'], fmt='{:.1f}')}"
                f" | — | — | — |"
            )
    if rs := r.get("rescore"):
        floor = rs["raw_floor"]["median"]
        for label, key in (
            ("as the nightly run does (decay on the kept evidence sums)", "nightly"),
            ("as the weekly re-aggregation does (all evidence read)", "reaggregate"),
        ):
            ours = rs[key]["median"]
            lines.append(
                f"| 2 | Full rescore of {r['sizes']['initiatives']:,} initiatives, {label} (s) |"
                f" {_s(rs[key])} = {ours / floor:.2f}x floor |"
                f" raw floor {_s(rs['raw_floor'])}; naive SQL (hash join)"
                f" {_s(rs['naive_sql_hash_join'])}; naive per-initiative"
                f" {rs['naive_per_initiative']['extrapolated_seconds']:.0f} s |"
                f" ≤ 1 s and ≤ 1.5x floor |"
                f" {'yes' if ours <= 1 and ours <= 1.5 * floor else 'no'} |"
            )
    if fr := r.get("freshness"):
        p95 = fr["p95"]["median"]
        lines.append(
            f"| 3 | Freshness, evidence POST → new priority in the API, under"
            f" {fr['background_items_per_s']:,.0f} items/s of other ingest,"
            f" {r.get('celery_workers', 1)} Celery worker process(es) |"
            f" p50 {_s(fr['p50'], 1000, '{:.0f}')} ms, p95 {_s(fr['p95'], 1000, '{:.0f}')} ms"
            f" ({len(fr['p95']['runs'])} runs of {fr['probes_per_run']} probes) | — |"
            f" p95 < 1 s at 1,000 items/s |"
            f" {'yes' if p95 < 1 and fr['background_items_per_s'] >= 950 else 'no'} |"
        )
    if rd := r.get("reads"):
        reads_met = (
            rd["priorities"]["rps"]["median"] >= rd["bare"]["rps"]["median"]
            and rd["priorities"]["p99_ms"]["median"] <= rd["bare"]["p99_ms"]["median"]
        )
        lines.append(
            f"| 4 | GET /api/v1/priorities/ (50 rows + breakdowns), 32 connections |"
            f" {_s(rd['priorities']['rps'], fmt='{:.0f}')} req/s,"
            f" p50 {_s(rd['priorities']['p50_ms'], fmt='{:.0f}')} ms,"
            f" p99 {_s(rd['priorities']['p99_ms'], fmt='{:.0f}')} ms |"
            f" bare DRF list of 50 rows: {_s(rd['bare']['rps'], fmt='{:.0f}')} req/s,"
            f" p99 {_s(rd['bare']['p99_ms'], fmt='{:.0f}')} ms | ≥ bare req/s, p99 ≤ bare |"
            f" {'yes' if reads_met else 'no'} |"
        )
    boards = r.get("board", {})
    constant = len({b["queries"] for b in boards.values()}) == 1
    for n, b in boards.items():
        lines.append(
            f"| 5 | Board page, {n} initiatives | {_s(b['seconds'], 1000, '{:.0f}')} ms,"
            f" {b['queries']} queries | — | queries constant in N |"
            f" {'yes' if constant else 'no'} |"
        )
    pages = r.get("pages", {})
    bare = next((p for p in pages.values() if p["path"] == "/bench/bare-page/"), None)
    for name, page in pages.items():
        if page is bare:
            continue
        baseline = (
            f"bare page {_s(bare['seconds'], 1000, '{:,.0f}')} ms, {bare['queries']} queries,"
            f" {bare['bytes'] / 1e6:.2f} MB"
            if bare
            else "—"
        )
        lines.append(
            f"| 5 | Page: {name} (`{page['path']}`), {r['sizes']['initiatives']:,} initiatives |"
            f" {_s(page['seconds'], 1000, '{:,.0f}')} ms, {page['bytes'] / 1e6:.2f} MB,"
            f" {page['queries']} queries | {baseline} | ≤ 300 ms, ≤ 1 MB |"
            f" {'yes' if page['met'] else '**no**'} |"
        )
    if (seconds := r.get("segment_count_seconds")) is not None:
        lines.append(
            f"| 5 | Recount of evidence per initiative and segment (alignment page's"
            f" segments tab; every 10 minutes), {r['sizes']['evidence']:,} evidence items |"
            f" {seconds:.1f} s | — | in the background | — |"
        )
    if mem := r.get("worker_memory"):
        lines.append(
            f"| 6 | Worker peak memory per full rescore, re-aggregating (VmHWM) |"
            f" {_s(mem['peak_mb'], fmt='{:.0f}')} MB |"
            f" idle child {mem['rss_before_mb']:.0f} MB | < 300 MB |"
            f" {'yes' if mem['peak_mb']['max'] < 300 else 'no'} |"
        )
    return "\n".join(lines)
