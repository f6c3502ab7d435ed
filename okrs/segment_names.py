"""Whether a derived metric's segment name names a segment (okrs cannot import roadmap).

A derived metric (NPS or CSAT over customer evidence) may be limited to one
segment, named as text because `okrs` never imports `roadmap`, where segments
live. roadmap registers at app ready the function that checks a name
(`on_segment_name_check`), as it registers its other handlers:

    on_segment_name_check(segment_name_problem)  # (name) -> error message or None

Metric.clean asks `segment_name_error(name)`, so every write through the
services (the metrics page's form, the API, the admin) refuses a segment
that does not exist with a field error on `derived_segment`. Without a
registered check (okrs alone) every name passes. A renamed segment takes the
metrics that name it along (roadmap.services.customers.segment_update).
"""

from __future__ import annotations

from collections.abc import Callable

_check: Callable[[str], str | None] | None = None


def on_segment_name_check(function: Callable[[str], str | None]) -> Callable:
    """Register the function that answers an error message for an unknown name, else None."""
    global _check
    _check = function
    return function


def segment_name_error(name: str) -> str | None:
    """Why `name` names no segment (None when it does, is empty, or nobody can tell)."""
    if not name or _check is None:
        return None
    return _check(name)
