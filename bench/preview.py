"""Time the what-if preview at full scale: `python -m bench.preview [--runs N] [--keep] [--reuse]`.

Builds the bench data set (bench.dataset: 10,000 initiatives, 1,000,000
evidence items, ~2 alignments each) in its own PostgreSQL database
(BENCH_DATABASE_URL, as `make bench`), scores it once, then times
roadmap.selectors_preview.ranking_preview in this process, the median of
`--runs`, for:

    policy        a policy change that keeps the evidence weights (ICE): every
                  initiative scored again in memory from its stored inputs
    evidence      a policy that weighs critical evidence x2 and nice-to-have x0.5
                  (the data set's importances mixed, a third each): each initiative's
                  kept sums by importance recombined (no aggregate), then the same
    revenue       a policy that weighs customers by revenue: the evidence of the
                  evidence-backed initiatives aggregated once (totals only, in ranges)
    half-life     a half-life of 45 days instead of 90: the same
    edit          one initiative's effort halved
    objective     one objective's weight doubled

`--keep` keeps the database; `--reuse` times the database a `--keep` run
left (no rebuild, no first rescore; it stays kept). `--cases revenue,half-life`
times only those.

The target (docs/SCORING.md): under 1 s at 10,000 initiatives.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import django

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--evidence", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse", action="store_true", help="time the database a --keep run left (kept too)"
    )
    parser.add_argument("--cases", default="", help="comma-separated cases to time (default all)")
    args = parser.parse_args()

    from bench import db

    if not args.reuse:
        db.recreate()
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from roadmap import scoring
    from roadmap.models import Initiative
    from roadmap.selectors_preview import ranking_preview
    from roadmap.services.policy import policy_current

    if not args.reuse:
        _build(args.evidence)

    current = policy_current()
    some = Initiative.objects.order_by("rank_key", "id").values_list("id", "effort")[500]
    objective = Initiative.objects.filter(alignments__isnull=False).values_list(
        "alignments__key_result__objective_id", flat=True
    )[0]
    cases = {
        "policy": {"policy": scoring.ScoringPolicy(**{**vars(current), "framework": "ice"})},
        "evidence": {
            "policy": scoring.ScoringPolicy(
                **{
                    **vars(current),
                    "importance_weights": {
                        **current.importance_weights,
                        "critical": 2.0,
                        "nice_to_have": 0.5,
                    },
                }
            )
        },
        "revenue": {"policy": scoring.ScoringPolicy(**{**vars(current), "revenue_weight": 1.0})},
        "half-life": {"policy": scoring.ScoringPolicy(**{**vars(current), "half_life_days": 45.0})},
        "edit": {"initiatives": {some[0]: {"effort": some[1] / 2}}},
        "objective": {"objective_weights": {objective: 2.0}},
    }
    wanted = set(filter(None, args.cases.split(","))) or set(cases)
    if wanted - set(cases):
        parser.error(f"unknown cases: {sorted(wanted - set(cases))}")
    try:
        for name, kwargs in cases.items():
            if name not in wanted:
                continue
            times, last = [], None
            for _ in range(args.runs):
                t = time.perf_counter()
                last = ranking_preview(**kwargs)
                times.append(time.perf_counter() - t)
            print(
                f"{name:10s} median {statistics.median(times):.3f} s"
                f" (min {min(times):.3f}, max {max(times):.3f}; {args.runs} runs)"
                f"  ranked {last.ranked}, rescored {last.rescored}, up {last.up},"
                f" down {last.down}, reaggregated {last.reaggregated}"
            )
    finally:
        from django.db import connections

        connections.close_all()
        if not (args.keep or args.reuse):
            db.drop()


def _build(evidence: int) -> None:
    """The data set, its importances mixed, scored once."""
    from django.db import connection

    from bench import dataset
    from roadmap.services import initiatives_mark, initiatives_rescore_marked

    started = time.perf_counter()
    dataset.generate({"evidence": evidence})
    # The data set's evidence is all "important": mix the importances, so an
    # importance preview moves something (a third each, by id).
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE roadmap_evidence SET importance = CASE id % 3 WHEN 0 THEN 'critical'"
            " WHEN 1 THEN 'nice_to_have' ELSE 'important' END"
        )
        cursor.execute("VACUUM ANALYZE roadmap_evidence")
    initiatives_mark(ids=None, trigger="schedule", nudge=False)
    initiatives_rescore_marked()
    print(f"data set and first rescore: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
