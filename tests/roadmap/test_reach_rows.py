"""The reach aggregate's two queries' rows, made into one `ReachRow` per initiative (pure)."""

import pytest

from roadmap.scoring import ScoringPolicy
from roadmap.scoring.reach_rows import ReachRowMaker, WeightedRowMaker, merged_rows

# (id, customers, their items, the 7 set sums) and (id, items, the 3 sums by importance).
CUSTOMERS = [
    (2, 3, 5, 1.0, 2.0, 0.0, 0.5, 0.0, 0.0, 0.25),
    (5, 1, 1, 0.0, 4.0, 0.0, 0.0, 0.0, 0.0, 0.0),
    (9, 2, 7, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0),
]
ANONYMOUS = [(1, 2, 0.5, 0.0, 0.0), (5, 3, 0.0, 1.5, 0.5), (11, 1, 0.0, 0.0, 2.0)]


def test_every_initiative_of_either_query_comes_once_in_id_order():
    rows = list(merged_rows(CUSTOMERS, ANONYMOUS, ReachRowMaker(None)))
    assert [row.initiative_id for row in rows] == [1, 2, 5, 9, 11]


def test_an_initiatives_two_rows_make_its_totals_and_its_ten_sums():
    by_id = {
        row.initiative_id: row for row in merged_rows(CUSTOMERS, ANONYMOUS, ReachRowMaker(None))
    }
    both = by_id[5]
    assert (both.customers, both.anonymous_items, both.items) == (1, 3, 4)
    assert both.from_customers == 4.0
    assert both.anonymous == 2.0
    assert both.sets == (0.0, 4.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.5, 0.5)
    only_anonymous = by_id[1]
    assert (only_anonymous.customers, only_anonymous.items, only_anonymous.from_customers) == (
        0,
        2,
        0,
    )
    assert only_anonymous.sets == (0.0,) * 7 + (0.5, 0.0, 0.0)
    only_customers = by_id[2]
    assert (only_customers.anonymous_items, only_customers.anonymous, only_customers.items) == (
        0,
        0,
        5,
    )
    assert only_customers.from_customers == pytest.approx(3.75)


def test_the_policys_importance_weights_apply_to_the_sums():
    policy = ScoringPolicy(
        importance_weights={"nice_to_have": 0.5, "important": 1.0, "critical": 3.0}
    )
    (row,) = merged_rows([CUSTOMERS[0]], [], ReachRowMaker(policy))
    # Sets 1 (nice), 2 (important), 4 (critical), 7 (all three): heaviest weight of each.
    assert row.from_customers == pytest.approx(1.0 * 0.5 + 2.0 * 1.0 + 0.5 * 3.0 + 0.25 * 3.0)
    (row,) = merged_rows([], [ANONYMOUS[1]], ReachRowMaker(policy))
    assert row.anonymous == pytest.approx(1.5 * 1.0 + 0.5 * 3.0)


def test_a_what_ifs_rows_merge_the_same_way():
    customers = [(3, 2.5, 2, 4)]
    anonymous = [(1, 1, 0.75), (3, 2, 0.5)]
    rows = list(merged_rows(customers, anonymous, WeightedRowMaker()))
    assert [tuple(row[:6]) for row in rows] == [(1, 0.0, 0, 0.75, 1, 1), (3, 2.5, 2, 0.5, 2, 6)]


def test_a_stream_is_read_as_it_comes():
    """The customers' rows may be a stream: each row is made before the next is read."""
    seen = []

    def stream():
        for row in CUSTOMERS:
            seen.append(row[0])
            yield row

    merged = merged_rows(stream(), ANONYMOUS, ReachRowMaker(None))
    assert next(merged).initiative_id == 1
    assert seen == [2]
    assert next(merged).initiative_id == 2
    assert seen == [2]
