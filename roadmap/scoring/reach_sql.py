"""The reach totals in SQL, per backend: `reach.evidence_reach` for many initiatives at once.

Pure text, no database: each function returns SQL for a vendor
("postgresql" or "sqlite") with named parameters, and the rescore runs it
(roadmap.services.rescore.aggregate). Term for term, `evidence_reach` and
`reach_totals_sql`:

    each customer once, at its newest item     GROUP BY initiative, customer: MAX(received_at)
    x its segment weight (default: none)       CUSTOMER_WEIGHT[vendor]
    x the decay of that item                   decay_sql("pc.newest")
    each item without a customer, decayed      SUM(decay_sql("received_at")), customer NULL
    customers, anonymous items, items          COUNT and SUM of the group counts

An aggregate is two queries (`TotalsQueries`): the customers' items, and
the items without a customer; `reach_rows.merged_rows` makes one `ReachRow`
per initiative of their rows. The query does not weigh importance: it files
each customer's term under the set of importances of its items, and each
item without a customer under its importance (`reach.importance_sums`, 10
sums), and `ReachRowMaker` applies the policy's importance weights to those
sums (`reach.weighted_by_importance`). A policy that weighs revenue adds
`reach.revenue_factor` to each customer's weight (REVENUE).

A what-if that needs only the totals under a policy, not the sums a
rescore keeps, reads `weighted_totals_sql`: the weights in SQL, one sum
each for customers and anonymous items.

`reach_delta` (new items folded into kept sums) takes its inputs from
`pending_items_sql`: each new item with its customer's segment weight and
that customer's newest item already in the sums.

tests/roadmap/test_reach_sql.py shows on random evidence that these queries
and the pure functions agree, on whichever backend DATABASE_URL selects.
A new evidence weight changes the pure functions, the expressions here, and
those tests: docs/RESCORE.md walks through one.
"""

# Raw SQL: only fixed fragments are interpolated; every value is a bound parameter.

from __future__ import annotations

from typing import NamedTuple

from .policy import ScoringPolicy
from .reach import IMPORTANCE_BITS, REVENUE_CAP, REVENUE_UNIT
from .reach_rows import WEIGHT_FLOOR, ReachRow, ReachRowMaker, WeightedRowMaker

__all__ = ["ReachRow", "ReachRowMaker", "WeightedRowMaker"]  # made of the queries' rows

# Half-lives past which an item's weight is taken as 0.5 ** this (~1e-301):
# PostgreSQL's POWER raises on underflow instead of returning 0, so an item
# dated centuries ago (stored before dates were bounded) would fail every run.
DECAY_MAX_HALF_LIVES = 1000.0


def age_days_sql(column: str, vendor: str) -> str:
    """Age in days of `column` at %(epoch)s (seconds since 1970), never negative."""
    if vendor == "postgresql":
        # date_part returns float8; EXTRACT returns numeric, whose POWER is ~10x slower.
        return f"GREATEST((%(epoch)s - date_part('epoch', {column})) / 86400.0, 0)"
    return f"MAX((%(epoch)s - (julianday({column}) - 2440587.5) * 86400.0) / 86400.0, 0)"


def decay_sql(column: str, vendor: str, cap: float = DECAY_MAX_HALF_LIVES) -> str:
    """`reach.decay` of `column`'s age at %(epoch)s, with %(half_life)s in days.

    Never raises on any stored date, on either backend: the exponent has a
    ceiling (`cap` half-lives).
    """
    smaller = "LEAST" if vendor == "postgresql" else "MIN"
    age = age_days_sql(column, vendor)
    return f"POWER(0.5, {smaller}({age} / %(half_life)s, {cap}))"


# A customer's segment weight (floored), %(default_weight)s when it has none;
# NULL for the group of items without a customer, so SUM leaves it out. PostgreSQL
# looks it up in an array indexed by customer id (`WEIGHTS`, built once per
# statement, ~50k floats): a join would lose the evidence's index order and
# force a sort or a hash of every (initiative, customer) pair.
SEGMENT_WEIGHT = (
    f"COALESCE(CASE WHEN s.weight < {WEIGHT_FLOOR} THEN 0.0 ELSE s.weight END, %(default_weight)s)"
)
# `reach.revenue_factor` of customer c's annual revenue, with %(revenue_weight)s.
REVENUE = {
    "postgresql": "LEAST({cap}, 1.0 + %(revenue_weight)s::float8"
    " * ln(1.0 + GREATEST(COALESCE(c.annual_revenue, 0)::float8, 0) / {unit}) / ln(10.0))",
    "sqlite": "MIN({cap}, 1.0 + CAST(%(revenue_weight)s AS REAL)"
    " * ln(1.0 + MAX(COALESCE(CAST(c.annual_revenue AS REAL), 0.0), 0.0) / {unit}) / ln(10.0))",
}


def weighs_revenue(policy: ScoringPolicy) -> bool:
    """Whether the SQL applies the revenue factor: a weight under `WEIGHT_FLOOR` counts as off.

    Exact: 1 + w x log10(1 + revenue / unit) is 1.0 in floats for any such w and
    any revenue below 1e300, while PostgreSQL raises on the underflow of
    w x log10(...) for a subnormal w (hypothesis found 5e-324).
    """
    return policy.revenue_weight >= WEIGHT_FLOOR


def customer_weight_sql(vendor: str, revenue: bool) -> str:
    """A customer's weight (segment, floored; times its revenue factor when `revenue`)."""
    if not revenue:
        return SEGMENT_WEIGHT
    factor = REVENUE[vendor].format(cap=REVENUE_CAP, unit=REVENUE_UNIT)
    return f"{SEGMENT_WEIGHT} * {factor}"


def customer_weight_lookup(vendor: str, revenue: bool) -> str:
    if vendor == "postgresql":
        return "(SELECT weights FROM w)[pc.customer_id]"
    return (
        f"(SELECT {customer_weight_sql(vendor, revenue)} FROM roadmap_customer c"
        " LEFT JOIN roadmap_segment s ON s.id = c.segment_id WHERE c.id = pc.customer_id)"
    )


def weights_cte(vendor: str, revenue: bool) -> str:
    if vendor != "postgresql":
        return ""
    return f"""
        WITH w AS MATERIALIZED (
            SELECT array_agg(({customer_weight_sql(vendor, revenue)})::float8 ORDER BY g.id)
                   AS weights
            FROM generate_series(1, (SELECT COALESCE(MAX(id), 0) FROM roadmap_customer)) g(id)
            LEFT JOIN roadmap_customer c ON c.id = g.id
            LEFT JOIN roadmap_segment s ON s.id = c.segment_id
        )"""


# The unweighted forms, as named fragments (the bench reads them).
CUSTOMER_WEIGHT = {v: customer_weight_lookup(v, False) for v in ("postgresql", "sqlite")}
WEIGHTS = {v: weights_cte(v, False) for v in ("postgresql", "sqlite")}


# An int4 count sums to an int8 (a Python int); an int8 count to a numeric.
GROUP_ITEMS = {"postgresql": "COUNT(*)::int4", "sqlite": "COUNT(*)"}


# Each item's importance as its bit (`reach.IMPORTANCE_BITS`), stored by the
# database (evidence.importance_bit) and held in the covering indexes: the
# aggregate reads no text. A customer's set of importances is the OR of its
# items' bits; on SQLite the sum of the distinct ones (powers of two).
BITS = {"postgresql": "BIT_OR(importance_bit)", "sqlite": "SUM(DISTINCT importance_bit)"}


class TotalsQueries(NamedTuple):
    """An aggregate as two queries, both per initiative in id order, with the same parameters.

    `customers`: the customers' items, grouped by customer (the covering
    index evidence_reach_cover); `anonymous`: the items without a customer
    (the partial index evidence_anonymous_reach). `reach_rows.merged_rows`
    makes one `ReachRow` of an initiative's two rows. Apart, the big query
    carries no aggregate for the few items without a customer: three sums
    per item fewer, and four per group.
    """

    customers: str
    anonymous: str


def anonymous_sql(where: str, sums: str) -> str:
    """Per initiative with items without a customer where `where` holds: (id, items, `sums`)."""
    return f"""
        SELECT initiative_id, COUNT(*), {sums}
        FROM roadmap_evidence
        WHERE customer_id IS NULL AND initiative_id IS NOT NULL AND {where}
        GROUP BY initiative_id
        ORDER BY initiative_id
        """


def reach_totals_sql(
    vendor: str,
    where: str = "initiative_id IS NOT NULL",
    policy: ScoringPolicy | None = None,
) -> TotalsQueries:
    """Per initiative with evidence where `where` holds: rows for `ReachRowMaker`, in id order.

    Customers: (id, customers, their items, the 7 set sums); items without
    a customer: (id, items, the 3 sums by importance) (`reach.importance_sums`),
    no NULLs. The importance weights are applied to the sums afterwards, in
    Python (`ReachRowMaker`): one query whatever the weights, and a product
    of floored weights and a floored decay cannot underflow in PostgreSQL
    (which raises on it).
    Parameters by name: `reach_totals_params`, and any that `where` adds.
    On PostgreSQL the covering index (initiative, customer, received_at,
    importance bit) hands the rows over in order, so both levels are
    GroupAggregates that keep one group in memory and emit the initiatives
    in id order (the ORDER BY costs no sort); nothing hashes 850k groups.
    """
    revenue = policy is not None and weighs_revenue(policy)
    weight = customer_weight_lookup(vendor, revenue)
    term = f"{weight} * {decay_sql('pc.newest', vendor)}"
    # One decay per customer whatever its set: a CASE evaluates only the branch taken.
    sets = ",\n               ".join(
        f"COALESCE(SUM(CASE pc.bits WHEN {bits} THEN {term} END), 0.0)" for bits in range(1, 8)
    )
    by_importance = ", ".join(
        f"COALESCE(SUM(CASE importance_bit WHEN {bit} THEN {decay_sql('received_at', vendor)}"
        " END), 0.0)"
        for bit in (1, 2, 4)
    )
    customers = f"""
        {weights_cte(vendor, revenue)}
        SELECT pc.initiative_id,
               COUNT(*),
               SUM(pc.items),
               {sets}
        FROM (
            SELECT initiative_id, customer_id, MAX(received_at) AS newest,
                   {BITS[vendor]} AS bits,
                   {GROUP_ITEMS[vendor]} AS items
            FROM roadmap_evidence
            WHERE customer_id IS NOT NULL AND {where}
            GROUP BY initiative_id, customer_id
        ) pc
        GROUP BY pc.initiative_id
        ORDER BY pc.initiative_id
        """
    return TotalsQueries(customers, anonymous_sql(where, by_importance))


# The decay's floor in `weighted_totals_sql`: there a customer's term is the
# product of three factors (segment and revenue, importance, decay), which at
# 1e-20 x 1e-20 x 0.5 ** 1000 would underflow and raise in PostgreSQL; at
# 0.5 ** 800 (~1.5e-241) it cannot. Off from the aggregate's decay by less than
# that per item, for items older than 800 half-lives only.
WEIGHTED_DECAY_MAX_HALF_LIVES = 800.0
# An item's importance weight, floored as `ReachRowMaker` floors it (parameters by name).
IMPORTANCE_WEIGHT = (
    "(CASE importance_bit WHEN 1 THEN %(weight_nice_to_have)s"
    " WHEN 4 THEN %(weight_critical)s ELSE %(weight_important)s END)"
)


def weighted_totals_sql(
    vendor: str, where: str = "initiative_id IS NOT NULL", policy: ScoringPolicy | None = None
) -> TotalsQueries:
    """`reach_totals_sql`'s totals under all of `policy`'s weights, without the importance sums.

    Per initiative with evidence where `where` holds, in id order, rows for
    `WeightedRowMaker`: customers (id, from customers, customers, their
    items) and items without a customer (id, items, anonymous); `ReachRow`s
    whose `sets` are left out. For a what-if that needs only the totals: 6
    aggregates per (initiative, customer) group (3 at each level) instead of
    the rescore's 12 (3 and 9). A customer
    counts its heaviest importance weight (as `reach.heaviest_of` its
    set's); the products of three floored factors cannot underflow
    (`WEIGHTED_DECAY_MAX_HALF_LIVES`).
    Parameters by name: `weighted_totals_params`, and any that `where` adds.
    """
    revenue = policy is not None and weighs_revenue(policy)
    weight = customer_weight_lookup(vendor, revenue)
    cap = WEIGHTED_DECAY_MAX_HALF_LIVES
    importance = IMPORTANCE_WEIGHT
    heaviest = "MAX(" + importance + ")"
    if policy is None or len(set(importance_weights(policy).values())) == 1:
        # One weight for every importance: no CASE per item (~20 % of the query at 1M items).
        importance = heaviest = "%(weight_important)s"
    customers = f"""
        {weights_cte(vendor, revenue)}
        SELECT pc.initiative_id,
               COALESCE(SUM({weight} * pc.heaviest * {decay_sql("pc.newest", vendor, cap)}), 0.0),
               COUNT(*),
               SUM(pc.items)
        FROM (
            SELECT initiative_id, customer_id, MAX(received_at) AS newest,
                   {heaviest} AS heaviest,
                   {GROUP_ITEMS[vendor]} AS items
            FROM roadmap_evidence
            WHERE customer_id IS NOT NULL AND {where}
            GROUP BY initiative_id, customer_id
        ) pc
        GROUP BY pc.initiative_id
        ORDER BY pc.initiative_id
        """
    anonymous = f"COALESCE(SUM({importance} * {decay_sql('received_at', vendor, cap)}), 0.0)"
    return TotalsQueries(customers, anonymous_sql(where, anonymous))


def importance_weights(policy: ScoringPolicy) -> dict[str, float]:
    """Each importance's weight under `policy`, floored as `ReachRowMaker` floors it."""
    weights = {name: float(policy.importance_weight(name)) for name in IMPORTANCE_BITS}
    return {name: w if w >= WEIGHT_FLOOR else 0.0 for name, w in weights.items()}


def weighted_totals_params(epoch: float, policy: ScoringPolicy) -> dict:
    """The named parameters of `weighted_totals_sql` at `epoch`, under `policy`."""
    params = reach_totals_params(epoch, policy)
    for name, weight in importance_weights(policy).items():
        params[f"weight_{name}"] = weight
    return params


def reach_totals_params(epoch: float, policy: ScoringPolicy) -> dict:
    """The named parameters of `reach_totals_sql` at `epoch` (the run's now), under `policy`."""
    default_weight = policy.default_segment_weight
    params = {
        "epoch": epoch,
        "half_life": policy.half_life_days,
        "default_weight": default_weight if default_weight >= WEIGHT_FLOOR else 0.0,
    }
    if weighs_revenue(policy):
        params["revenue_weight"] = float(policy.revenue_weight)
    return params


# Per pending row, index probes only: the row's item by id, its customer's
# segment weight, the pair's newest folded item. Written as LATERAL and scalar
# subqueries (LIMIT keeps the lateral one from being flattened into a join)
# so the planner cannot swap the probes for a scan of all the evidence and a
# hash join, which it picks from the pending table's stale statistics (1.2 s
# instead of ~0.2 s for 15,000 rows).
PENDING_ITEM = {
    "postgresql": "LEFT JOIN LATERAL (SELECT initiative_id, customer_id, received_at, importance"
    " FROM roadmap_evidence WHERE id = p.evidence_id LIMIT 1) e ON true",
    "sqlite": "LEFT JOIN roadmap_evidence e ON e.id = p.evidence_id",  # no LATERAL there
}


# An item of the same initiative and customer that is already in the sums. Not a
# correlated NOT EXISTS: the pending table's statistics are always stale (every
# run empties it), so PostgreSQL scanned all of it for every row probed, and a
# run's cost grew with the square of its pending items (5,000: 2.2-3.9 s instead
# of 0.12 s on the bench's data), so a run that fell behind fell further behind.
# An uncorrelated NOT IN is hashed once a query; evidence_id is never NULL.
NOT_PENDING = "o.id NOT IN (SELECT q.evidence_id FROM roadmap_pendingevidence q)"


def pending_items_sql(vendor: str, weighs: bool = False) -> str:
    """Every pending item, as a `reach.PendingItem` for `reach.fold`. No parameters.

    Its customer's newest item already in the sums is the newest of the same
    initiative and customer that is not pending. Rows of deleted or unlinked
    items come too (initiative id NULL). SQLite gives the dates as text.
    Always the item's importance and the importances of that customer's
    items already in the sums (`reach.IMPORTANCE_BITS`, summed once each:
    the importance sums move a customer between sets); `weighs` (the policy
    weighs revenue): its customer's revenue, else 0.
    """
    revenue = "0.0"
    if weighs:
        revenue = "(SELECT c.annual_revenue FROM roadmap_customer c WHERE c.id = e.customer_id)"
    extra = f"""e.importance,
               {revenue},
               CASE WHEN e.customer_id IS NULL THEN 0 ELSE
               COALESCE((SELECT SUM(DISTINCT o.importance_bit)
                FROM roadmap_evidence o
                WHERE o.initiative_id = e.initiative_id AND o.customer_id = e.customer_id
                  AND {NOT_PENDING}), 0)
               END"""
    return f"""
        SELECT p.evidence_id, e.initiative_id, e.customer_id, e.received_at,
               (SELECT s.weight FROM roadmap_customer c
                JOIN roadmap_segment s ON s.id = c.segment_id WHERE c.id = e.customer_id),
               (SELECT MAX(o.received_at) FROM roadmap_evidence o
                WHERE o.initiative_id = e.initiative_id AND o.customer_id = e.customer_id
                  AND {NOT_PENDING}),
               {extra}
        FROM roadmap_pendingevidence p
        {PENDING_ITEM[vendor]}
        """
