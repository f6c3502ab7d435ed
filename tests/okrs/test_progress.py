import pytest

from okrs.progress import KeyResultValues, WeightedProgress, key_result_progress, objective_progress


@pytest.mark.parametrize(
    ("kind", "start", "target", "current", "expected"),
    [
        # increase: linear between start and target, clamped
        ("increase", 30, 50, 30, 0.0),
        ("increase", 30, 50, 40, 0.5),
        ("increase", 30, 50, 50, 1.0),
        ("increase", 30, 50, 65, 1.0),  # past target counts as done, not 175%
        ("increase", 30, 50, 10, 0.0),  # went backwards: 0, not negative
        # decrease-to key results: the sign of (target - start) carries direction
        ("decrease", 4.0, 2.0, 3.0, 0.5),
        ("decrease", 4.0, 2.0, 1.5, 1.0),
        ("decrease", 4.0, 2.0, 4.5, 0.0),
        # target == start: no distance to cover; done once at/past target
        ("increase", 10, 10, 10, 1.0),
        ("increase", 10, 10, 9, 0.0),
        ("decrease", 10, 10, 9, 1.0),
        ("decrease", 10, 10, 11, 0.0),
        # maintain: 1 while the value holds the line on the start's side
        ("maintain", 35, 30, 37, 1.0),
        ("maintain", 35, 30, 30, 1.0),
        ("maintain", 35, 30, 29, 0.0),
        ("maintain", 1.5, 2.0, 1.9, 1.0),  # "keep churn at or below 2%"
        ("maintain", 1.5, 2.0, 2.1, 0.0),
        ("maintain", 5, 5, 5, 1.0),
        ("maintain", 5, 5, 4, 0.0),
        # milestone: 0 or 1
        ("milestone", 0, 1, 0, 0.0),
        ("milestone", 0, 1, 1, 1.0),
        ("milestone", 0, 1, 0.99, 0.0),
    ],
)
def test_key_result_progress(kind, start, target, current, expected):
    result = key_result_progress(KeyResultValues(kind, start, target, current))
    assert result.value == pytest.approx(expected)
    assert result.explanation


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown key result kind"):
        key_result_progress(KeyResultValues("grow", 0, 1, 0))


def test_objective_progress_is_the_weighted_mean_of_its_key_results():
    items = [WeightedProgress(1.0, 2.0), WeightedProgress(0.25, 1.0), WeightedProgress(0.0, 1.0)]
    assert objective_progress(items) == pytest.approx((2.0 + 0.25) / 4.0)


def test_objective_without_key_results_has_no_progress():
    assert objective_progress([]) == 0.0
