"""Quarter arithmetic and capacity maths for the timeline. Pure: no Django.

A quarter is written "2026-Q3". Its *index* counts quarters from year 0
(year x 4 + quarter - 1), so consecutive quarters have consecutive indexes
and a span is a subtraction. An initiative planned from quarter S to quarter
E (inclusive) spends its effort evenly: effort / (E - S + 1) person-months in
each quarter it spans. A team's quarter is over-allocated when the planned
effort there exceeds the capacity set for it; the shortfall is the difference.
A quarter with no capacity set is not over-allocated: nobody said how much
there is.

`roadmap.selectors_timeline.planned_effort` computes the same spread in SQL
over every matching initiative; tests/roadmap/test_planning.py shows the two
agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The longest plan a bar may span: two years. Longer work is more than one initiative.
MAX_SPAN_QUARTERS = 8
QUARTER_PATTERN = re.compile(r"^([0-9]{4})-Q([1-4])$")


def quarter_index(quarter: str) -> int:
    """ "2026-Q3" → 2026 x 4 + 2. A ValueError for anything that is not a quarter."""
    match = QUARTER_PATTERN.match(quarter or "")
    if match is None:
        raise ValueError(f"{quarter!r} is not a quarter like 2026-Q4.")
    return int(match.group(1)) * 4 + int(match.group(2)) - 1


def quarter_label(index: int) -> str:
    year, offset = divmod(index, 4)
    return f"{year:04d}-Q{offset + 1}"


def quarter_shift(quarter: str, by: int) -> str:
    return quarter_label(quarter_index(quarter) + by)


def quarter_span(start: str, end: str) -> int:
    """How many quarters start..end covers, both included (1 for a single quarter)."""
    return quarter_index(end) - quarter_index(start) + 1


def quarters_from(start: str, count: int) -> list[str]:
    first = quarter_index(start)
    return [quarter_label(first + n) for n in range(count)]


def schedule_error(start: str, end: str) -> tuple[str, str] | None:
    """Why start..end is not a plan, as (field, message), or None when it is one.

    Both empty is a plan too: unscheduled.
    """
    if not start and not end:
        return None
    if not start or not end:
        missing = "start_quarter" if not start else "end_quarter"
        return missing, "Set both the start and the end quarter, or neither."
    try:
        span = quarter_span(start, end)
    except ValueError:
        return None  # the field validators say what is wrong with the format
    if span < 1:
        return "end_quarter", "The end quarter cannot be before the start quarter."
    if span > MAX_SPAN_QUARTERS:
        return (
            "end_quarter",
            f"A plan spans at most {MAX_SPAN_QUARTERS} quarters (two years); split longer work.",
        )
    return None


def effort_in_quarter(effort: float, start: str, end: str, quarter: str) -> float:
    """The person-months an initiative planned start..end spends in `quarter`."""
    if not start or not end:
        return 0.0
    q = quarter_index(quarter)
    if not quarter_index(start) <= q <= quarter_index(end):
        return 0.0
    return effort / quarter_span(start, end)


@dataclass(frozen=True)
class Load:
    """One team's quarter: the effort planned there and the capacity set for it."""

    planned: float
    capacity: float | None  # None: not set

    @property
    def shortfall(self) -> float:
        """Person-months planned beyond the capacity (0 when it fits or none is set)."""
        if self.capacity is None:
            return 0.0
        return max(0.0, self.planned - self.capacity)

    @property
    def over(self) -> bool:
        # Sums of floats: a hundredth of a person-month is below anyone's planning precision.
        return self.shortfall > 0.005

    @property
    def use(self) -> float | None:
        """Planned over capacity (1.0 = full), None without a capacity or with none available."""
        if not self.capacity:
            return None
        return self.planned / self.capacity
