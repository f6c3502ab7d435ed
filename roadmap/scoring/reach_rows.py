"""Rows of the reach aggregate (`reach_sql`): what its two queries return, made into `ReachRow`s.

Pure, no database. Each aggregate is two queries, both per initiative in
id order: one over the customers' items (grouped by customer), one over
the items without a customer (`reach_sql.TotalsQueries`). `merged_rows`
walks both at once, as a merge join would, and a row maker
(`ReachRowMaker`, `WeightedRowMaker`) makes one `ReachRow` of an
initiative's two rows, either of which may be missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple, Protocol

from .policy import ScoringPolicy
from .reach import NO_SETS, set_weights

# A weight below this counts as 0 here and in the SQL (`reach_sql`): times the
# decay's floor it would come to less than the smallest float, and PostgreSQL
# raises on that underflow. Off from `reach.evidence_reach` by less than 1e-20
# a customer.
WEIGHT_FLOOR = 1e-20


class ReachRow(NamedTuple):
    """An initiative's id, then its `reach.ReachTotals`, then its importance sums."""

    initiative_id: int
    from_customers: float
    customers: int
    anonymous: float
    anonymous_items: int
    items: int
    sets: tuple[float, ...] = NO_SETS  # `reach.importance_sums`, at the query's now


class RowMaker(Protocol):
    def make(self, customers: Sequence | None, anonymous: Sequence | None) -> ReachRow: ...


NO_CUSTOMERS_SETS = (0.0,) * 7
NO_ANONYMOUS_SETS = (0.0,) * 3


class ReachRowMaker:
    """`ReachRow`s under a policy's importance weights, of `reach_sql.reach_totals_sql`'s rows.

    A customers' row: (id, customers, items, the 7 set sums); an anonymous
    row: (id, items, the 3 sums by importance). The weights are applied
    here: one query whatever the weights.
    """

    __slots__ = ("weights",)

    def __init__(self, policy: ScoringPolicy | None):
        weights = set_weights(policy) if policy is not None else (1.0,) * 10
        self.weights = tuple(w if w >= WEIGHT_FLOOR else 0.0 for w in weights)

    def make(self, customers: Sequence | None, anonymous: Sequence | None) -> ReachRow:
        if customers is not None:
            initiative_id, count, customer_items, *sets = customers
        else:
            initiative_id, count, customer_items, sets = anonymous[0], 0, 0, NO_CUSTOMERS_SETS
        if anonymous is not None:
            _, anonymous_items, *by_importance = anonymous
        else:
            anonymous_items, by_importance = 0, NO_ANONYMOUS_SETS
        w = self.weights
        return ReachRow(
            initiative_id,
            sets[0] * w[0]
            + sets[1] * w[1]
            + sets[2] * w[2]
            + sets[3] * w[3]
            + sets[4] * w[4]
            + sets[5] * w[5]
            + sets[6] * w[6],
            count,
            by_importance[0] * w[7] + by_importance[1] * w[8] + by_importance[2] * w[9],
            anonymous_items,
            customer_items + anonymous_items,
            (*sets, *by_importance),
        )


class WeightedRowMaker:
    """`ReachRow`s (no importance sums) of `reach_sql.weighted_totals_sql`'s rows.

    A customers' row: (id, from customers, customers, items); an anonymous
    row: (id, items, anonymous), both weighted in SQL.
    """

    @staticmethod
    def make(customers: Sequence | None, anonymous: Sequence | None) -> ReachRow:
        initiative_id, from_customers, count, customer_items = customers or (
            anonymous[0],
            0.0,
            0,
            0,
        )
        _, anonymous_items, weighted = anonymous or (initiative_id, 0, 0.0)
        return ReachRow(
            initiative_id,
            from_customers,
            count,
            weighted,
            anonymous_items,
            customer_items + anonymous_items,
        )


def merged_rows(
    customers: Iterable[Sequence], anonymous: Iterable[Sequence], maker: RowMaker
) -> Iterator[ReachRow]:
    """One `ReachRow` per initiative in either, in id order; both come in id order.

    `customers` may be a stream (rows as the server sends them); `anonymous`
    is read along with it.
    """
    others = iter(anonymous)
    other = next(others, None)
    make = maker.make
    for row in customers:
        initiative_id = row[0]
        while other is not None and other[0] < initiative_id:
            yield make(None, other)
            other = next(others, None)
        if other is not None and other[0] == initiative_id:
            yield make(row, other)
            other = next(others, None)
        else:
            yield make(row, None)
    while other is not None:
        yield make(None, other)
        other = next(others, None)
