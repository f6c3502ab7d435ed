"""How a run uses PostgreSQL: operational knobs, never policy.

`Tuning` changes how fast a run is, never what it writes; it is built from
settings once, at the run's entry (`run.rescore_tuning`), and handed to the
phases that open connections or choose a plan.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Tuning:
    """work_mem: the aggregate's, per connection (RESCORE_WORK_MEM).
    aggregate_streams: connections an aggregate of every initiative is read
        on, each a range of initiatives (RESCORE_AGGREGATE_STREAMS).
    aggregate_all_above: past this many initiatives to aggregate, one
        streaming pass over all the evidence beats an index probe per
        initiative (and the alignments are read whole too).
    """

    work_mem: str = "64MB"
    aggregate_streams: int = 2
    aggregate_all_above: int = 2_000


def tune(cursor, tuning: Tuning) -> None:
    """Planner settings for the aggregate, for this transaction only (PostgreSQL)."""
    cursor.execute("SET LOCAL work_mem = %s", [tuning.work_mem])
    # The planner underestimates the (initiative, customer) groups ~3x and
    # picks a HashAggregate that spills (1.3 s at 10k x 1M); the streaming
    # GroupAggregate over the covering index takes ~0.3 s. JIT only adds
    # compile time to a query that runs once. See docs/PERFORMANCE.md.
    cursor.execute("SET LOCAL enable_hashagg = off")
    cursor.execute("SET LOCAL jit = off")
    # A rescore lost in a crash (its commit not yet flushed) is lost with its
    # mark clears: the marks are still set and the next run redoes it. Not
    # waiting for the flush takes ~40 ms off every run (10k rows of WAL).
    cursor.execute("SET LOCAL synchronous_commit = off")
