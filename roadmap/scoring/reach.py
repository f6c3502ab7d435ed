"""Reach from evidence: the reference functions, and the sums kept up to date by deltas.

The rescore takes the same totals in SQL, for many initiatives at once:
`reach_sql` beside this module, one query per backend, which
tests/roadmap/test_reach_sql.py checks against these functions.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from .policy import DEFAULT_POLICY, ScoringPolicy


@dataclass(frozen=True)
class EvidenceSignal:
    """One linked evidence item, reduced to what reach needs."""

    received_at: datetime
    customer_id: int | None = None
    segment_weight: float | None = None  # None: the customer has no segment
    importance: str | None = None  # None: counts 1 whatever the policy
    revenue: float = 0.0  # its customer's annual revenue


# A customer's weight grows with the log of its annual revenue, capped:
# min(REVENUE_CAP, 1 + revenue_weight x log10(1 + revenue / REVENUE_UNIT)).
# With weight 1: no revenue 1, 100k 1.30, 1M 2.04, 10M 3.00, 100M 4.00, 1B+ 5.
REVENUE_UNIT = 100_000.0
REVENUE_CAP = 5.0


def revenue_factor(revenue: float, revenue_weight: float) -> float:
    """What a customer's annual revenue multiplies its weight by under `revenue_weight`."""
    if revenue_weight == 0:
        return 1.0
    return min(
        REVENUE_CAP, 1.0 + revenue_weight * math.log10(1.0 + max(revenue, 0.0) / REVENUE_UNIT)
    )


def customer_weight(segment_weight: float | None, revenue: float, policy: ScoringPolicy) -> float:
    """A customer's weight: its segment's (the default without one) times its revenue factor."""
    weight = policy.default_segment_weight if segment_weight is None else segment_weight
    if policy.revenue_weight == 0:
        return weight
    return weight * revenue_factor(revenue, policy.revenue_weight)


def importance_weight(importance: str | None, policy: ScoringPolicy) -> float:
    """What an item's importance multiplies it by (an item of no stated importance: 1)."""
    return 1.0 if importance is None else policy.importance_weight(importance)


@dataclass(frozen=True)
class ReachResult:
    """Reach from evidence, and the sums it came from (for its explanation).

    The explanation is worded when asked for: a full rescore derives 10,000
    reaches and explains only those whose score it writes.
    """

    value: float
    customers: int
    anonymous_items: int
    from_customers: float = 0.0  # segment-weighted, decayed
    anonymous: float = 0.0  # decayed items without a customer
    half_life_days: float = ScoringPolicy.half_life_days
    note: str | None = None  # says it instead of the sums (no evidence at all)

    @property
    def explanation(self) -> str:
        if self.note is not None:
            return self.note
        return (
            f"{self.customers} customers (segment-weighted, decayed: {self.from_customers:.2f})"
            f" + {self.anonymous_items} items without a customer ({self.anonymous:.2f});"
            f" half-life {self.half_life_days:g} days"
        )


def decay(age_days: float, half_life_days: float) -> float:
    """Weight of evidence that is `age_days` old: 1 today, halving every half-life.

    Evidence dated in the future counts as today's.
    """
    return math.pow(0.5, max(age_days, 0.0) / half_life_days)


def evidence_reach(
    signals: Iterable[EvidenceSignal], *, now: datetime, policy: ScoringPolicy = DEFAULT_POLICY
) -> ReachResult:
    """Reach derived from evidence.

    Each customer counts once, weighted by its segment's weight (the default
    weight when it has none), its revenue factor, the heaviest importance
    weight of its items and the age of its newest evidence. Evidence without
    a customer counts once per item, times its importance weight, decayed by
    its own age.
    """
    newest: dict[int, EvidenceSignal] = {}
    heaviest: dict[int, float] = {}
    anonymous = 0.0
    anonymous_items = 0
    for s in signals:
        weight = importance_weight(s.importance, policy)
        if s.customer_id is None:
            age = (now - s.received_at).total_seconds() / 86400
            anonymous += weight * decay(age, policy.half_life_days)
            anonymous_items += 1
            continue
        heaviest[s.customer_id] = max(heaviest.get(s.customer_id, 0.0), weight)
        seen = newest.get(s.customer_id)
        if seen is None or s.received_at > seen.received_at:
            newest[s.customer_id] = s
    from_customers = 0.0
    for s in newest.values():
        weight = customer_weight(s.segment_weight, s.revenue, policy) * heaviest[s.customer_id]
        age = (now - s.received_at).total_seconds() / 86400
        from_customers += weight * decay(age, policy.half_life_days)
    return reach_from_totals(
        from_customers=from_customers,
        customers=len(newest),
        anonymous=anonymous,
        anonymous_items=anonymous_items,
        policy=policy,
    )


# --- Sums by importance: any importance weights without the evidence -----------
#
# A customer counts once, at its heaviest importance among its items, so its
# term is filed under the set of importances its items have (7 sets, by
# IMPORTANCE_BITS: 1 nice to have, 2 important, 3 both, 4 critical, ...), and
# an item without a customer under its importance (3). With these 10 sums,
# taken without importance weights, any weights give exactly
#     from customers = sum over sets S of sums[S] x the heaviest weight in S
#     anonymous      = sum over importances i of sums[i] x the weight of i
# (`weighted_by_importance`): a preview of new importance weights recombines
# 10 stored sums per initiative instead of aggregating the evidence again.
# Positions in the tuple: SET_SLOTS (customers, bits 1-7 at 0-6), then
# ANONYMOUS_SLOTS (7, 8, 9). An item of no stated importance counts as
# "important" here, as in the SQL (the pure `evidence_reach` counts it 1).

ANONYMOUS_SLOT = {1: 7, 2: 8, 4: 9}
NO_SETS = (0.0,) * 10


def importance_bit(importance: str | None) -> int:
    return IMPORTANCE_BITS.get(importance or "important", 2)


def set_weights(policy: ScoringPolicy) -> tuple[float, ...]:
    """What each of the 10 sums counts for under `policy`'s importance weights."""
    customer = tuple(heaviest_of(bits, policy) for bits in range(1, 8))
    anonymous = tuple(
        policy.importance_weight(name) for name, _ in sorted(IMPORTANCE_BITS.items(), key=_bit)
    )
    return customer + anonymous


def _bit(item: tuple[str, int]) -> int:
    return item[1]


def weighted_by_importance(sets: tuple[float, ...], policy: ScoringPolicy) -> tuple[float, float]:
    """(from customers, anonymous) under `policy`'s importance weights, from the 10 sums."""
    weights = set_weights(policy)
    from_customers = sum(sets[slot] * weights[slot] for slot in range(7))
    anonymous = sum(sets[slot] * weights[slot] for slot in range(7, 10))
    return from_customers, anonymous


def importance_sums(
    signals: Iterable[EvidenceSignal], *, now: datetime, policy: ScoringPolicy = DEFAULT_POLICY
) -> tuple[float, ...]:
    """The 10 sums of `signals` at `now` (customer weights and decay as `evidence_reach`'s)."""
    sums = [0.0] * 10
    newest: dict[int, EvidenceSignal] = {}
    bits: dict[int, int] = {}
    for s in signals:
        bit = importance_bit(s.importance)
        if s.customer_id is None:
            age = (now - s.received_at).total_seconds() / 86400
            sums[ANONYMOUS_SLOT[bit]] += decay(age, policy.half_life_days)
            continue
        bits[s.customer_id] = bits.get(s.customer_id, 0) | bit
        seen = newest.get(s.customer_id)
        if seen is None or s.received_at > seen.received_at:
            newest[s.customer_id] = s
    for customer, s in newest.items():
        age = (now - s.received_at).total_seconds() / 86400
        weight = customer_weight(s.segment_weight, s.revenue, policy)
        sums[bits[customer] - 1] += weight * decay(age, policy.half_life_days)
    return tuple(sums)


# --- Reach kept up to date by deltas ------------------------------------------
#
# decay(now - t) = 2 ** ((t - A) / h) * 2 ** (-(now - A) / h) for any anchor A,
# so the decayed sums can be kept as sums of 2 ** ((t - A) / h) ("at the
# anchor") and brought to any later `now` with one factor. New evidence then
# adds a term instead of re-reading every item of its initiative.


@dataclass(frozen=True)
class AnchoredReach:
    """An initiative's evidence sums at `anchor` (see `reach_at`)."""

    anchor: datetime
    half_life_days: float
    weighted: float  # sum over customers: segment weight x 2 ** ((newest - anchor) / h)
    anonymous: float  # sum over items without a customer: 2 ** ((t - anchor) / h)
    customers: int
    anonymous_items: int
    items: int
    # The same terms filed by importance, without the importance weights
    # (`ImportanceSums`): any importance weights' sums recombine from them.
    sets: tuple[float, ...] = (0.0,) * 10


def anchored_term(received_at: datetime, anchor: datetime, half_life_days: float) -> float:
    """One item's weight at the anchor: 2 ** ((received_at - anchor) / half-life)."""
    return math.pow(2.0, (received_at - anchor).total_seconds() / 86400 / half_life_days)


def reach_delta(
    sums: AnchoredReach,
    new: Iterable[EvidenceSignal],
    newest: dict[int, tuple],
    *,
    policy: ScoringPolicy = DEFAULT_POLICY,
) -> AnchoredReach:
    """What adding the `new` evidence items adds to `sums` (same anchor and half-life).

    `newest` holds each customer's newest item so far, the heaviest
    importance weight of its items and (optionally, third) the
    IMPORTANCE_BITS of its items (absent: none yet), and is updated in
    place. A customer counts once, at its newest item, times its heaviest
    weight: a newer or heavier item swaps its term, any other adds nothing
    but the item count. The importance sums (`AnchoredReach.sets`) move the
    customer's term from the set of its importances before to the set after.
    """
    anchor, half_life = sums.anchor, sums.half_life_days
    weighted = anonymous = 0.0
    customers = anonymous_items = items = 0
    sets = [0.0] * 10
    for s in new:
        items += 1
        term = anchored_term(s.received_at, anchor, half_life)
        importance = importance_weight(s.importance, policy)
        bit = importance_bit(s.importance)
        if s.customer_id is None:
            anonymous += importance * term
            anonymous_items += 1
            sets[ANONYMOUS_SLOT[bit]] += term
            continue
        weight = customer_weight(s.segment_weight, s.revenue, policy)
        before = newest.get(s.customer_id)
        if before is None:
            weighted += weight * importance * term
            customers += 1
            sets[bit - 1] += weight * term
            newest[s.customer_id] = (s.received_at, importance, bit)
            continue
        at, heaviest, *known = before
        bits = known[0] if known else 0
        after = (max(at, s.received_at), max(heaviest, importance), bits | bit)
        if after != (at, heaviest, bits):
            old_term = anchored_term(at, anchor, half_life)
            new_term = anchored_term(after[0], anchor, half_life)
            weighted += weight * (after[1] * new_term - heaviest * old_term)
            if bits:
                sets[bits - 1] -= weight * old_term
            sets[after[2] - 1] += weight * new_term
            newest[s.customer_id] = after
    return AnchoredReach(
        anchor,
        half_life,
        weighted,
        anonymous,
        customers,
        anonymous_items,
        items,
        tuple(sets),
    )


class PendingItem(NamedTuple):
    """A new evidence item to fold into its initiative's kept sums, as `reach_sql` reads it."""

    evidence_id: int
    initiative_id: int | None  # None: deleted or unlinked since; dropped
    customer_id: int | None
    received_at: datetime | None
    segment_weight: float | None  # None: no customer, or a customer with no segment
    newest_before: datetime | None  # its customer's newest item already in the sums
    # Read only when the policy weighs evidence (`reach_sql.pending_items_sql`):
    importance: str | None  # None: counts 1
    revenue: float  # its customer's annual revenue
    importances_before: int  # IMPORTANCE_BITS of its customer's items already in the sums


# Each importance's bit in `PendingItem.importances_before`.
IMPORTANCE_BITS = {"nice_to_have": 1, "important": 2, "critical": 4}


def heaviest_of(bits: int, policy: ScoringPolicy) -> float:
    """The heaviest importance weight among those `bits` name (none: 1, as no weight)."""
    weights = [policy.importance_weight(i) for i, bit in IMPORTANCE_BITS.items() if bits & bit]
    return max(weights) if weights else 1.0


def fold(
    sums: AnchoredReach,
    items: Iterable[PendingItem],
    now: datetime,
    policy: ScoringPolicy = DEFAULT_POLICY,
) -> AnchoredReach:
    """What one initiative's pending `items` add to its `sums` (`reach_delta`).

    An item dated after `now` (another machine's clock, seconds ahead) counts
    as of `now`, as the aggregate counts it; ingest sends items dated later
    than that to the aggregate.
    """
    newest = {}
    signals = []
    for item in items:
        customer_id = item.customer_id
        if customer_id is not None and item.newest_before is not None:
            bits = item.importances_before
            heaviest = heaviest_of(bits, policy) if item.importance else 1.0
            newest[customer_id] = (item.newest_before, heaviest, bits)
        signals.append(
            EvidenceSignal(
                min(item.received_at, now),
                customer_id,
                item.segment_weight,
                item.importance,
                float(item.revenue or 0.0),
            )
        )
    return reach_delta(sums, signals, newest, policy=policy)


def reach_added(sums: AnchoredReach, delta: AnchoredReach) -> AnchoredReach:
    """`sums` with `delta` (from `reach_delta` on the same sums) added."""
    return AnchoredReach(
        sums.anchor,
        sums.half_life_days,
        sums.weighted + delta.weighted,
        sums.anonymous + delta.anonymous,
        sums.customers + delta.customers,
        sums.anonymous_items + delta.anonymous_items,
        sums.items + delta.items,
        tuple(a + b for a, b in zip(sums.sets, delta.sets, strict=True)),
    )


def anchored_factor(elapsed_seconds: float, half_life_days: float) -> float:
    """What sums at an anchor are multiplied by, `elapsed_seconds` after it."""
    return math.pow(0.5, elapsed_seconds / 86400 / half_life_days)


class ReachTotals(NamedTuple):
    """An initiative's evidence totals at one moment, as `reach_from_totals` takes them."""

    from_customers: float  # sum over customers: segment weight x decay of its newest item
    customers: int
    anonymous: float  # sum over items without a customer: decay of each
    anonymous_items: int
    items: int  # every item, with a customer or without


def reach_at(sums: AnchoredReach, now: datetime) -> ReachTotals:
    """The totals at `now` of sums kept at an anchor.

    The same totals the SQL aggregate takes from the evidence, for evidence
    dated no later than `now`.
    """
    factor = anchored_factor((now - sums.anchor).total_seconds(), sums.half_life_days)
    return ReachTotals(
        sums.weighted * factor,
        sums.customers,
        sums.anonymous * factor,
        sums.anonymous_items,
        sums.items,
    )


def reach_from_totals(
    *,
    from_customers: float,
    customers: int,
    anonymous: float,
    anonymous_items: int,
    policy: ScoringPolicy = DEFAULT_POLICY,
) -> ReachResult:
    """Assemble a ReachResult from sums already taken (in SQL, for the bulk rescore)."""
    return ReachResult(
        value=from_customers + anonymous,
        customers=customers,
        anonymous_items=anonymous_items,
        from_customers=from_customers,
        anonymous=anonymous,
        half_life_days=policy.half_life_days,
    )
