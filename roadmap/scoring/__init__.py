"""Priority maths: pure functions over small frozen dataclasses, no Django.

    RICE      = reach x impact x (confidence / 100) / effort
    alignment = sum over aligned key results of
                contribution x objective weight x (floor + (1 - KR progress))
    priority  = RICE x (1 + alignment)

That is the default policy. A team's policy (`ScoringPolicy`) may choose
another framework (ICE, WSJF or a custom formula: `frameworks`,
`expression`), weigh alignment differently, scale unaligned work, and weigh
evidence by importance and customer revenue (docs/SCORING.md).

Reach is typed in by hand or derived from evidence (see `evidence_reach`).
Every result carries a breakdown: each factor and where it came from. The
same breakdown is stored on the initiative and served by the UI and the API,
so "why is this #3" never needs a recomputation.

The package: `policy` (the constants and the team's policy), `frameworks`
(ICE, WSJF, custom), `expression` (the custom formula's safe evaluator),
`experiments` (when an experiment's result is significant), `reach` (reach from evidence, and the
sums the rescore keeps anchored), `reach_sql` (the same totals in SQL, per
backend), `reach_rows` (the SQL's rows made into totals), `formula` (RICE,
alignment, priority, the breakdown).
"""

from .expression import ExpressionError
from .formula import (
    AlignmentLink,
    RiceInputs,
    Score,
    ScoreInputs,
    alignment,
    alignment_terms,
    policy_description,
    policy_formula,
    priority,
    priority_of,
    rice,
    score,
    score_label,
    validate_rice_inputs,
    weighted_priority,
)
from .frameworks import FIBONACCI, FrameworkInputs, validate_framework
from .policy import (
    CONTRIBUTION_WEIGHTS,
    DEFAULT_POLICY,
    FRAMEWORKS,
    IMPACT_SCALE,
    IMPORTANCES,
    ScoringError,
    ScoringPolicy,
)
from .reach import (
    NO_SETS,
    AnchoredReach,
    EvidenceSignal,
    PendingItem,
    ReachResult,
    ReachTotals,
    anchored_factor,
    anchored_term,
    decay,
    evidence_reach,
    fold,
    importance_sums,
    reach_added,
    reach_at,
    reach_delta,
    reach_from_totals,
    set_weights,
    weighted_by_importance,
)

__all__ = [
    "CONTRIBUTION_WEIGHTS",
    "DEFAULT_POLICY",
    "FIBONACCI",
    "FRAMEWORKS",
    "IMPACT_SCALE",
    "IMPORTANCES",
    "NO_SETS",
    "AlignmentLink",
    "AnchoredReach",
    "EvidenceSignal",
    "ExpressionError",
    "FrameworkInputs",
    "PendingItem",
    "ReachResult",
    "ReachTotals",
    "RiceInputs",
    "Score",
    "ScoreInputs",
    "ScoringError",
    "ScoringPolicy",
    "alignment",
    "alignment_terms",
    "anchored_factor",
    "anchored_term",
    "decay",
    "evidence_reach",
    "fold",
    "importance_sums",
    "policy_description",
    "policy_formula",
    "priority",
    "priority_of",
    "reach_added",
    "reach_at",
    "reach_delta",
    "reach_from_totals",
    "rice",
    "score",
    "score_label",
    "set_weights",
    "validate_framework",
    "validate_rice_inputs",
    "weighted_by_importance",
    "weighted_priority",
]
