"""Alignment reads for marketing: which objectives and segments the roadmap serves.

Shared by the HTML page, its CSV exports and the read-only API. Every figure is
an SQL aggregate (annotate / aggregate with Sum, Count, Case, Exists and
correlated subqueries); Python only pivots aggregated rows into tables, so each
selector costs a fixed number of queries however large the roadmap is.

Definitions (also shown on the page):
- **In view**: objectives of the chosen period (all periods when none), not
  cancelled, and their key results. An initiative is **open** when its status
  is idea, planned or in progress (the ranked roadmap). The initiatives in view
  are the open ones matching the lane and team filters; with a period, only
  those targeted at that quarter, not scheduled at all, or aligned to a key
  result of that period's objectives.
- **Planned**: in view and in lane now or next.
- **Aligned**: linked to at least one key result in view.
- **Unserved**: an objective or key result no planned initiative is aligned to.
  **Lagging**: progress below 0.4, or fewer than 2 planned initiatives.
- **Effort split**: a planned initiative's effort (person-months) is split
  across the objectives it serves in proportion to its contribution weights
  (strong 1, medium 0.5, weak 0.25) to each objective's key results in view.
  Planned effort aligned to nothing in view is reported as unaligned.
- **Unanswered segment**: a segment with evidence none of which is linked to a
  planned initiative: all of it waits in the inbox, or points only to shipped,
  archived, later-lane or filtered-out work.
"""

from .effort import Effort, ObjectiveEffort, alignment_effort
from .gaps import (
    Coverage,
    Unaligned,
    UnalignedInitiative,
    Unserved,
    alignment_unaligned,
    alignment_unserved,
)
from .matrix import Matrix, MatrixColumn, MatrixRow, alignment_matrix
from .scope import (
    LOW_PROGRESS,
    MIN_INITIATIVES,
    OPEN_STATUSES,
    PLANNED_LANES,
    AlignmentFilters,
    alignment_filter_choices,
    contribution_weight,
)
from .segments import (
    SegmentColumn,
    SegmentCoverage,
    SegmentInitiative,
    Segments,
    alignment_segments,
)

__all__ = [
    "LOW_PROGRESS",
    "MIN_INITIATIVES",
    "OPEN_STATUSES",
    "PLANNED_LANES",
    "AlignmentFilters",
    "Coverage",
    "Effort",
    "Matrix",
    "MatrixColumn",
    "MatrixRow",
    "ObjectiveEffort",
    "SegmentColumn",
    "SegmentCoverage",
    "SegmentInitiative",
    "Segments",
    "Unaligned",
    "UnalignedInitiative",
    "Unserved",
    "alignment_effort",
    "alignment_filter_choices",
    "alignment_matrix",
    "alignment_segments",
    "alignment_unaligned",
    "alignment_unserved",
    "contribution_weight",
]
