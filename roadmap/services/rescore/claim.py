"""Phase 1, claim: the run's lock, the full rescores asked for, the initiatives to score.

Input: the run's cursor, in its transaction; the run's policy (sums kept
under another half-life are stale).
Output: the `FullRequest`s this run does, and one `Claim` per initiative it
scores, in id order.
Writes: only `done_full`, which deletes the FullRescore rows the run claimed
for (done when the run commits).
Assumes: nothing is locked but the run's advisory lock (PostgreSQL): the
initiatives are read, not locked. Ingest marks them all the time; locking
them here for the whole run made every ingest touching one of them wait for
the rescore. The write phase locks them, and a mark that arrives meanwhile
moves `mark_version`, so the write leaves it set.
"""

# Raw SQL: only fixed fragments are interpolated; every value is a bound parameter.

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from roadmap import scoring
from roadmap.models import Initiative
from roadmap.scoring import experiments

from ..sql import fetch_numbers, ids_param, in_ids_sql, is_postgres
from .tuning import Tuning, tune

ADVISORY_LOCK_KEY = 7_302_001  # any constant; serializes rescoring on PostgreSQL


class FullRequest(NamedTuple):
    """A FullRescore row: a rescore of every initiative, asked for."""

    id: int
    reaggregate: bool  # its sums too: every initiative's evidence aggregated again
    trigger: str


class Claim(NamedTuple):
    """An initiative this run scores, as stored when the run read it."""

    id: int
    trigger: str  # what prompted it: its mark's, else 'evidence', else the full rescore's
    mark_version: int  # the write clears the mark only if this has not moved since
    marked: bool  # needs_rescore was set
    stale: bool  # its sums are aggregated from all its evidence (unknown, or asked for)
    reach_source: str
    manual_reach: float
    impact: float
    confidence: float
    effort: float
    priority_score: float
    open: bool  # idea, planned or in progress: ranked once scored
    evidence_count: int
    never_scored: bool
    # Its evidence sums at an anchor (scoring.AnchoredReach); anchor None: unknown.
    anchor: float | datetime | str | None  # epoch seconds on PostgreSQL
    half_life: float | None
    weighted: float
    anonymous: float
    customers: int
    anonymous_items: int
    items: int
    # The other frameworks' inputs (scoring.FrameworkInputs), None when not set.
    ease: float | None = None
    business_value: float | None = None
    time_criticality: float | None = None
    risk_reduction: float | None = None
    job_size: float | None = None
    # A linked experiment shows a significant positive result (read only when
    # the policy raises confidence for one: scoring.experiments).
    experiment: bool = False


# The initiatives with new evidence waiting: an index probe per pending row.
PENDING_INITIATIVES = (
    "SELECT (SELECT e.initiative_id FROM roadmap_evidence e WHERE e.id = p.evidence_id)"
    " FROM roadmap_pendingevidence p"
)
# Open work: ranked once scored (Initiative.rank_key). Fixed values, not input.
RANKED = ", ".join(f"'{status.value}'" for status in Initiative.RANKED_STATUSES)
# In the order of `Claim`'s fields.
CLAIM_COLUMNS = (
    "id, CASE WHEN needs_rescore THEN rescore_trigger {trigger} END, mark_version, needs_rescore,"
    " %s OR reach_anchor IS NULL OR reach_half_life IS NULL OR reach_half_life <> %s,"
    " reach_source, reach, impact, confidence, effort, priority_score,"
    f" status IN ({RANKED}), evidence_count,"
    " scored_at IS NULL, {anchor}, reach_half_life, reach_weighted, reach_anonymous,"
    " reach_customers, reach_anonymous_items, reach_items,"
    " ease, business_value, time_criticality, risk_reduction, job_size, {experiment}"
)


def begin(cursor, tuning: Tuning) -> list[FullRequest]:
    """Take the rescore lock and read the full rescores asked for."""
    if is_postgres():
        # One rescore at a time: a second worker waits, then finds what is left.
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
        tune(cursor, tuning)
    cursor.execute("SELECT id, reaggregate, trigger FROM roadmap_fullrescore ORDER BY id")
    return [FullRequest._make(row) for row in cursor.fetchall()]


def claim_rows(cursor, requests: list[FullRequest], policy: scoring.ScoringPolicy) -> list[Claim]:
    """The marked initiatives and those with pending evidence; every one when `requests`."""
    # The anchor as epoch seconds on PostgreSQL: parsing 10,000 timestamps costs ~0.1 s.
    anchor = "date_part('epoch', reach_anchor)" if is_postgres() else "reach_anchor"
    half_life = policy.half_life_days
    if requests:
        trigger = f"WHEN id IN ({PENDING_INITIATIVES}) THEN 'evidence' ELSE %s"
        params = [
            dominant_trigger(request.trigger for request in requests),
            any(request.reaggregate for request in requests),
            half_life,
        ]
        where = "true"
    else:
        trigger, params = "ELSE 'evidence'", [False, half_life]
        # A union, not an OR: the marked rows from their partial index
        # (initiative_marked), the rest by primary key, no scan of the table.
        where = (
            "id IN (SELECT id FROM roadmap_initiative WHERE needs_rescore"
            f" UNION {PENDING_INITIATIVES})"
        )
    experiment = "false"
    if policy.experiment_confidence is not None:
        experiment = experiments.initiative_has_significant_sql("roadmap_initiative.id")
    columns = CLAIM_COLUMNS.format(trigger=trigger, anchor=anchor, experiment=experiment)
    return fetch_numbers(
        cursor, f"SELECT {columns} FROM roadmap_initiative WHERE {where} ORDER BY id", params, Claim
    )


def done_full(cursor, requests: list[FullRequest]) -> None:
    """The FullRescore rows this run claimed for: done when it commits."""
    cursor.execute(
        f"DELETE FROM roadmap_fullrescore WHERE {in_ids_sql('id')}",
        [ids_param(request.id for request in requests)],
    )


def dominant_trigger(triggers: Iterable[str]) -> str:
    """The one trigger that stands for several: an edit before evidence, before the rest."""
    values = set(triggers)
    for trigger in ("edit", "evidence", "metric", "schedule"):
        if trigger in values:
            return trigger
    return "schedule"
