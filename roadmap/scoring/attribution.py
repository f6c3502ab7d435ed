"""Each cause's share of a score change when several arrive in one run (docs/SCORING.md).

Pure: no Django. The causes of a snapshot are the players of a game whose
value for a coalition S is the priority computed with the inputs the causes
in S changed as they are now, and every other changed input as it was
before (`revert`). Each cause's share is its Shapley value:

    share(i) = sum over S without i of |S|! (n - |S| - 1)! / n! x (v(S + i) - v(S))

The shares sum to v(all) - v(none) = the new score - the score before, do
not depend on the order the causes are listed in, give equal shares to
causes that changed the same input (evidence added and the policy's
half-life both move reach), and give 0 to a cause that changed nothing
the score reads (a rank shift, an objective's title).

What each kind reverts: `edit` its field (a score input: reach when typed
in, impact, confidence, effort, the other frameworks' inputs, the
experiment flag); `key_result` the progress of its links; `objective` the
weight on its links; `alignment` the contribution of its link (a link
added: gone); `evidence`, `decay` and the policy's evidence fields
(importances, revenue weight, half-life): reach from evidence back to the
reach last scored; `policy` framework, formula, alignment weight,
unaligned factor and experiment confidence: the policy field.

No shares (None) when a cause cannot be reverted from what it records (an
initiative created, a link removed, an objective cancelled, a reach source
switched, causes left off as "more"), when there are more than MAX_CAUSES,
or when the inputs reverted do not give the score before (something
changed that no cause names): a share is given only where it is exact.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from itertools import combinations

from .formula import ScoreInputs, priority_of
from .policy import ScoringError, ScoringPolicy
from .reach import ReachResult

MAX_CAUSES = 8  # 2 ** 8 = 256 scorings per snapshot at most
State = tuple[ScoreInputs, ScoringPolicy]
Revert = Callable[[State], State]
FRAMEWORK_FIELDS = ("ease", "business_value", "time_criticality", "risk_reduction", "job_size")
POLICY_FIELDS = ("framework", "formula", "alignment_weight", "unaligned_factor")
EVIDENCE_POLICY_FIELDS = {
    "importance_nice_to_have",
    "importance_important",
    "importance_critical",
    "revenue_weight",
    "half_life_days",
}
NO_SCORE_KINDS = {"rank_shift"}  # never change an input: share 0
UNREVERTIBLE = object()


def _same(state: State) -> State:
    return state


def _reach_back(previous_reach: float) -> Revert:
    def revert(state: State) -> State:
        inputs, policy = state
        if inputs.reach_source != "evidence":
            return state
        evidence = inputs.evidence or ReachResult(0.0, 0, 0)
        return replace(inputs, evidence=replace(evidence, value=previous_reach)), policy

    return revert


def _inputs_field(name: str, value) -> Revert:
    def revert(state: State) -> State:
        inputs, policy = state
        if name in FRAMEWORK_FIELDS:
            return replace(inputs, extra=replace(inputs.extra, **{name: value})), policy
        if name == "reach":
            return replace(inputs, manual_reach=float(value)), policy
        if name == "experiment":
            return replace(inputs, experiment=value == "significant"), policy
        return replace(inputs, **{name: float(value)}), policy

    return revert


def _links(change: Callable) -> Revert:
    def revert(state: State) -> State:
        inputs, policy = state
        links = tuple(link for link in map(change, inputs.links) if link is not None)
        return replace(inputs, links=links), policy

    return revert


def _policy_field(name: str, value) -> Revert:
    was = value if name in ("framework", "formula") or value is None else float(value)

    def revert(state: State) -> State:
        inputs, policy = state
        return inputs, replace(policy, **{name: was})

    return revert


def revert_of(cause: dict, previous_reach: float):
    """What undoing `cause` does to the inputs; `_same` if nothing scored; UNREVERTIBLE."""
    kind, field = cause.get("kind"), cause.get("field")
    if kind in NO_SCORE_KINDS:
        return _same
    if kind in ("evidence", "decay"):
        return _reach_back(previous_reach)
    if kind == "edit":
        if field in ("impact", "confidence", "effort", "reach", "experiment", *FRAMEWORK_FIELDS):
            if cause.get("from") is None and field not in FRAMEWORK_FIELDS:
                return UNREVERTIBLE
            return _inputs_field(field, cause.get("from"))
        if field in ("created", "reach_source"):
            return UNREVERTIBLE
        return _same
    if kind == "key_result":
        was = cause.get("from_progress")
        if was is None or "to_progress" not in cause:
            return UNREVERTIBLE
        kr = cause.get("key_result")
        return _links(
            lambda link: replace(link, progress=float(was)) if link.key_result_id == kr else link
        )
    if kind == "objective":
        if field == "weight" and cause.get("from") is not None:
            oid, was = cause.get("objective"), float(cause["from"])
            return _links(
                lambda link: (
                    replace(link, objective_weight=was) if link.objective_id == oid else link
                )
            )
        return _same if field == "title" else UNREVERTIBLE
    if kind == "alignment":
        kr, was = cause.get("key_result"), cause.get("from")
        if cause.get("to") is None:
            return UNREVERTIBLE  # the link removed: what it was is not recorded
        if was is None:
            return _links(lambda link: None if link.key_result_id == kr else link)
        return _links(
            lambda link: replace(link, contribution=was) if link.key_result_id == kr else link
        )
    if kind == "policy":
        if field in EVIDENCE_POLICY_FIELDS:
            return _reach_back(previous_reach)
        if field in (*POLICY_FIELDS, "experiment_confidence"):
            return _policy_field(field, cause.get("from"))
    return UNREVERTIBLE


def shares(
    causes: list[dict],
    inputs: ScoreInputs,
    policy: ScoringPolicy,
    *,
    previous_score: float,
    previous_reach: float,
) -> list[float] | None:
    """Each cause's share of the change from `previous_score` to the score of `inputs`.

    `inputs` as the run scored them, with every framework's inputs
    (`extra`); None when no exact attribution exists (see the module).
    """
    if not 2 <= len(causes) <= MAX_CAUSES:
        return None
    reverts = [revert_of(cause, previous_reach) for cause in causes]
    if any(r is UNREVERTIBLE for r in reverts):
        return None
    players = [n for n, r in enumerate(reverts) if r is not _same]
    cache: dict[frozenset, float] = {}

    def value(kept: frozenset) -> float:
        if kept not in cache:
            state: State = (inputs, policy)
            for n in players:
                if n not in kept:
                    state = reverts[n](state)
            cache[kept] = priority_of(state[0], policy=state[1])
        return cache[kept]

    try:
        before = value(frozenset())
        if abs(before - previous_score) > 1e-6 * max(1.0, abs(previous_score)):
            return None  # something changed that no cause names
        out = [0.0] * len(causes)
        count = len(players)
        for i in players:
            others = [p for p in players if p != i]
            total = 0.0
            for size in range(count):
                weight = (
                    math.factorial(size) * math.factorial(count - size - 1) / math.factorial(count)
                )
                for coalition in combinations(others, size):
                    kept = frozenset(coalition)
                    total += weight * (value(kept | {i}) - value(kept))
            out[i] = total
    except (ScoringError, ArithmeticError, TypeError, ValueError):
        # A coalition that cannot be scored (a custom framework without the
        # formula that came with it): no exact attribution.
        return None
    return out


__all__ = ["MAX_CAUSES", "revert_of", "shares"]
