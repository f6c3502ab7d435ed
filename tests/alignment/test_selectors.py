"""Alignment selectors against the hand-built world in conftest.py (figures worked by hand)."""

from decimal import Decimal

import pytest

from roadmap.selectors_alignment import (
    AlignmentFilters,
    alignment_effort,
    alignment_filter_choices,
    alignment_matrix,
    alignment_segments,
    alignment_unaligned,
    alignment_unserved,
)
from tests.alignment.conftest import Q4
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ALL = AlignmentFilters()


def _rows(matrix):
    return {(r.kind, r.title): r for r in matrix.rows}


def test_matrix_lists_objectives_then_their_key_results_and_skips_cancelled(world, marketing_user):
    matrix = alignment_matrix(viewer=marketing_user, filters=ALL)
    assert [(r.kind, r.title) for r in matrix.rows] == [
        ("objective", "Grow"),
        ("key_result", "KR1a"),
        ("key_result", "KR1b"),
        ("objective", "Retain"),
        ("key_result", "KR2a"),
        ("key_result", "KR2b"),
        ("objective", "Expand"),
        ("key_result", "KR3a"),
    ]


def test_matrix_columns_are_open_aligned_initiatives_in_rank_order(world, marketing_user):
    matrix = alignment_matrix(viewer=marketing_user, filters=ALL)
    # D is unaligned, E is shipped.
    assert [c.title for c in matrix.columns] == ["A", "B", "C", "F", "G"]
    assert [(c.weight_total, c.links) for c in matrix.columns] == [
        (1.25, 2),
        (1.0, 2),
        (0.25, 1),
        (1.0, 1),
        (0.25, 1),
    ]


def test_matrix_cells_hold_contributions_and_objective_rows_sum_their_weights(
    world, marketing_user
):
    rows = _rows(alignment_matrix(viewer=marketing_user, filters=ALL))
    assert rows["key_result", "KR1a"].cells == ["strong", "medium", None, None, None]
    assert rows["key_result", "KR1b"].cells == [None, "medium", "weak", None, None]
    assert rows["key_result", "KR2a"].cells == ["weak", None, None, None, None]
    assert rows["key_result", "KR2b"].cells == [None] * 5
    assert rows["objective", "Grow"].cells == [1.0, 1.0, 0.25, None, None]
    assert rows["objective", "Retain"].cells == [0.25, None, None, None, None]
    assert rows["objective", "Expand"].cells == [None, None, None, 1.0, 0.25]


def test_matrix_row_and_grand_totals_are_weight_sums_and_link_counts(world, marketing_user):
    matrix = alignment_matrix(viewer=marketing_user, filters=ALL)
    totals = {(r.kind, r.title): (r.weight_total, r.links) for r in matrix.rows}
    assert totals == {
        ("objective", "Grow"): (2.25, 4),
        ("key_result", "KR1a"): (1.5, 2),
        ("key_result", "KR1b"): (0.75, 2),
        ("objective", "Retain"): (0.25, 1),
        ("key_result", "KR2a"): (0.25, 1),
        ("key_result", "KR2b"): (0.0, 0),
        ("objective", "Expand"): (1.25, 2),
        ("key_result", "KR3a"): (1.25, 2),
    }
    assert (matrix.weight_total, matrix.links) == (3.75, 7)


def test_matrix_period_keeps_that_quarters_objectives_and_the_work_scheduled_for_it(
    world, marketing_user
):
    matrix = alignment_matrix(viewer=marketing_user, filters=AlignmentFilters(period=Q4))
    assert [r.title for r in matrix.rows if r.kind == "objective"] == ["Grow", "Retain"]
    # F targets 2027-Q1 and serves only a 2027-Q1 objective; G targets Q4 but
    # serves no Q4 key result, so it is unaligned work in Q4.
    assert [c.title for c in matrix.columns] == ["A", "B", "C"]
    assert (matrix.weight_total, matrix.links) == (2.5, 5)


def test_matrix_lane_and_team_filters_narrow_the_columns_and_totals(world, marketing_user):
    now = alignment_matrix(viewer=marketing_user, filters=AlignmentFilters(lane="now"))
    assert [c.title for c in now.columns] == ["A"]
    assert (now.weight_total, now.links) == (1.25, 2)
    growth = alignment_matrix(viewer=marketing_user, filters=AlignmentFilters(team="Growth"))
    assert [c.title for c in growth.columns] == ["B", "F"]
    assert _rows(growth)["objective", "Grow"].weight_total == 1.0
    assert (growth.weight_total, growth.links) == (2.0, 3)


def test_unaligned_lists_open_work_aligned_to_nothing_with_effort_and_priority(
    world, marketing_user
):
    unaligned = alignment_unaligned(viewer=marketing_user, filters=ALL)
    assert [(i.title, i.effort, i.priority_score, i.rank) for i in unaligned.initiatives] == [
        ("D", 5.0, 30.0, 4)
    ]
    assert (unaligned.count, unaligned.effort) == (1, 5.0)


def test_unaligned_in_a_period_includes_work_serving_only_other_periods(world, marketing_user):
    unaligned = alignment_unaligned(viewer=marketing_user, filters=AlignmentFilters(period=Q4))
    assert [i.title for i in unaligned.initiatives] == ["D", "G"]
    assert (unaligned.count, unaligned.effort) == (2, 7.0)


def test_unserved_flags_uncovered_thinly_covered_and_low_progress_goals(world, marketing_user):
    unserved = alignment_unserved(viewer=marketing_user, filters=ALL)
    flags = {
        (r.kind, r.title): (r.planned_initiatives, r.unserved, r.low_progress, r.few_initiatives)
        for r in unserved.rows
    }
    # Grow (A and B, progress 0.6) and KR1a (A and B, 0.5) are healthy; C is
    # in the later lane, so KR1b has one planned initiative.
    assert flags == {
        ("key_result", "KR1b"): (1, False, False, True),
        ("objective", "Retain"): (1, False, True, True),
        ("key_result", "KR2a"): (1, False, True, True),
        ("key_result", "KR2b"): (0, True, False, True),
        ("objective", "Expand"): (1, False, True, True),
        ("key_result", "KR3a"): (1, False, True, True),
    }
    assert [(r.kind, r.title) for r in unserved.rows][:2] == [
        ("key_result", "KR1b"),
        ("objective", "Retain"),
    ]
    assert (unserved.unserved_objectives, unserved.unserved_key_results) == (0, 1)
    assert (unserved.lagging_objectives, unserved.lagging_key_results) == (2, 4)


def test_unserved_with_the_later_lane_finds_every_goal_unserved(world, marketing_user):
    unserved = alignment_unserved(viewer=marketing_user, filters=AlignmentFilters(lane="later"))
    assert all(r.unserved for r in unserved.rows)
    assert (unserved.unserved_objectives, unserved.unserved_key_results) == (3, 5)


def test_effort_splits_each_initiative_by_contribution_weight(world, marketing_user):
    effort = alignment_effort(viewer=marketing_user, filters=ALL)
    # Planned: A 4, B 2, D 5, F 6 = 17. A: strong to Grow, weak to Retain ->
    # 4 * 1/1.25 = 3.2 and 4 * 0.25/1.25 = 0.8. B: all to Grow (2). F: Expand (6).
    assert effort.planned_person_months == 17.0
    got = {
        o.title: (o.person_months, o.effort_share, o.weight_share, o.initiatives)
        for o in effort.objectives
    }
    assert got == {
        "Grow": (pytest.approx(5.2), pytest.approx(5.2 / 17), 0.5, 2),
        "Retain": (pytest.approx(0.8), pytest.approx(0.8 / 17), pytest.approx(1 / 6), 1),
        "Expand": (pytest.approx(6.0), pytest.approx(6 / 17), pytest.approx(2 / 6), 1),
    }
    assert (effort.unaligned_person_months, effort.unaligned_initiatives) == (5.0, 1)
    assert effort.unaligned_share == pytest.approx(5 / 17)
    split = sum(o.person_months for o in effort.objectives) + effort.unaligned_person_months
    assert split == pytest.approx(effort.planned_person_months)


def test_effort_in_a_period_compares_against_that_periods_weights(world, marketing_user):
    effort = alignment_effort(viewer=marketing_user, filters=AlignmentFilters(period=Q4))
    assert effort.planned_person_months == 11.0
    got = {o.title: (o.person_months, o.weight_share) for o in effort.objectives}
    assert got == {"Grow": (pytest.approx(5.2), 0.75), "Retain": (pytest.approx(0.8), 0.25)}
    assert effort.objectives[0].gap == pytest.approx(5.2 / 11 - 0.75)


def test_segments_heat_map_counts_evidence_per_initiative_and_segment(world, marketing_user):
    segments = alignment_segments(viewer=marketing_user, filters=ALL)
    assert [c.name for c in segments.columns] == ["Agency", "Enterprise", "Startup", "No segment"]
    assert [
        (i.title, i.cells, i.evidence, i.customers, i.revenue) for i in segments.initiatives
    ] == [
        ("A", [0, 3, 1, 1], 5, 3, Decimal("170000.00")),
        ("B", [0, 0, 2, 1], 3, 2, Decimal("25000.00")),
        ("C", [1, 1, 0, 0], 2, 2, Decimal("107000.00")),
        ("D", [0, 0, 0, 0], 0, 0, Decimal("0.00")),
        ("F", [0, 0, 0, 0], 0, 0, Decimal("0")),
        ("G", [0, 0, 0, 0], 0, 0, Decimal("0")),
    ]
    assert segments.max_cell == 3


def test_segment_coverage_finds_segments_no_planned_work_answers(world, marketing_user):
    segments = alignment_segments(viewer=marketing_user, filters=ALL)
    got = {
        c.name: (
            c.evidence,
            c.unlinked,
            c.on_planned,
            c.on_other,
            c.customers,
            c.planned_initiatives,
        )
        for c in segments.coverage
    }
    assert got == {
        "Agency": (2, 1, 0, 1, 1, 0),
        "Enterprise": (5, 1, 3, 1, 2, 1),
        "Startup": (5, 1, 3, 1, 1, 2),
        "No segment": (2, 0, 2, 0, 1, 2),
    }
    assert [c.name for c in segments.unanswered] == ["Agency"]


def test_segment_coverage_counts_only_planned_work_matching_the_filters(world, marketing_user):
    segments = alignment_segments(viewer=marketing_user, filters=AlignmentFilters(team="Growth"))
    assert [c.name for c in segments.unanswered] == ["Agency", "Enterprise"]
    assert [i.title for i in segments.initiatives] == ["B", "F"]


def test_filter_choices_list_periods_newest_first_and_teams(world, marketing_user):
    assert alignment_filter_choices(viewer=marketing_user) == {
        "periods": ["2027-Q1", "2026-Q4"],
        "teams": ["Core", "Growth"],
    }


def test_selectors_return_nothing_to_an_account_without_a_role(world):
    stranger = UserFactory(username="nobody")
    assert alignment_matrix(viewer=stranger, filters=ALL).rows == []
    assert alignment_unaligned(viewer=stranger, filters=ALL).initiatives == []
    assert alignment_unserved(viewer=stranger, filters=ALL).rows == []
    assert alignment_effort(viewer=stranger, filters=ALL).objectives == []
    assert alignment_segments(viewer=stranger, filters=ALL).initiatives == []
