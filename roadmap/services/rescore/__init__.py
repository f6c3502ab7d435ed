"""The set-based rescore, as a package of phases; `run` reads top to bottom.

    claim      the lock, the full rescores asked for, the initiatives to score (`Claim`)
    evidence   pending items and aggregated totals at one snapshot (`EvidenceReads`)
      aggregate  the SQL of roadmap.scoring.reach_sql, run (`ReachRow`, `PendingItem`)
      streams    reading on other connections at the run's snapshot (PostgreSQL)
      links      the alignments
    score      totals for this run and the score of each initiative (`WriteRow`)
    rank       the ranks before and after, for the snapshots (`Standing`, `Ranking`)
    write      one UPDATE of every changed row, and the snapshots
    run        the run itself, and what happens after it commits
    tuning     operational knobs (`Tuning`): how fast, never what is written

docs/RESCORE.md describes each phase's contract and the rows between them.
"""

from .aggregate import PendingItem, ReachRow
from .claim import ADVISORY_LOCK_KEY, Claim
from .run import RescoreResult, initiatives_rescore_marked, rescore_tuning, scoring_policy
from .tuning import Tuning

__all__ = [
    "ADVISORY_LOCK_KEY",
    "Claim",
    "PendingItem",
    "ReachRow",
    "RescoreResult",
    "Tuning",
    "initiatives_rescore_marked",
    "rescore_tuning",
    "scoring_policy",
]
