"""NPS and CSAT from counts of survey answers: pure maths, no Django.

    NPS  = % promoters (scores 9-10) - % detractors (0-6), of all 0-10 answers:
           from -100 (all detractors) to +100 (all promoters); 7-8 are passives.
    CSAT = % of 1-5 answers that are 4 or 5 (satisfied or very satisfied): 0 to 100.

No answers: no value (None), not 0: a window without answers says nothing.
The counts come from the database (roadmap.services.derived_metrics counts the
scored evidence of a window in one query); `tally` does the same in Python,
and the tests hold the two to each other.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

NPS = "nps"
CSAT = "csat"
# The evidence source each kind reads its scores from.
SOURCE = {NPS: "nps", CSAT: "survey"}
PROMOTER_MIN = 9
DETRACTOR_MAX = 6
SATISFIED_MIN = 4


@dataclass(frozen=True)
class AnswerCounts:
    total: int
    high: int  # NPS: promoters (9-10); CSAT: satisfied (4-5)
    low: int  # NPS: detractors (0-6); CSAT: unused (0)


def tally(kind: str, scores: Iterable[int]) -> AnswerCounts:
    scores = list(scores)
    if kind == NPS:
        return AnswerCounts(
            total=len(scores),
            high=sum(1 for s in scores if s >= PROMOTER_MIN),
            low=sum(1 for s in scores if s <= DETRACTOR_MAX),
        )
    if kind == CSAT:
        return AnswerCounts(
            total=len(scores), high=sum(1 for s in scores if s >= SATISFIED_MIN), low=0
        )
    raise ValueError(f"Unknown derived metric kind: {kind!r}")


def derived_value(kind: str, counts: AnswerCounts) -> float | None:
    """The metric's value from its answer counts, rounded to 0.1; None without answers."""
    if counts.total <= 0:
        return None
    if kind == NPS:
        return round(100.0 * (counts.high - counts.low) / counts.total, 1)
    if kind == CSAT:
        return round(100.0 * counts.high / counts.total, 1)
    raise ValueError(f"Unknown derived metric kind: {kind!r}")
