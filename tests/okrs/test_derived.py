"""NPS and CSAT from survey answers: the pure formula (okrs.derived), table-driven."""

import pytest

from okrs.derived import CSAT, NPS, AnswerCounts, derived_value, tally


@pytest.mark.parametrize(
    ("scores", "value"),
    [
        ([10, 9, 10], 100.0),  # all promoters
        ([0, 3, 6], -100.0),  # all detractors
        ([7, 8, 7, 8], 0.0),  # passives count in the total only
        ([10, 9, 8, 7, 6], 20.0),  # 2 promoters, 1 detractor of 5
        ([9, 6], 0.0),
        ([10, 0, 0], -33.3),  # rounded to 0.1
        ([9], 100.0),
    ],
)
def test_nps_is_percent_promoters_minus_percent_detractors(scores, value):
    assert derived_value(NPS, tally(NPS, scores)) == value


@pytest.mark.parametrize(
    ("scores", "value"),
    [([5, 4, 5], 100.0), ([1, 2, 3], 0.0), ([4, 3], 50.0), ([5, 4, 3, 2, 1, 1], 33.3)],
)
def test_csat_is_percent_of_four_and_five_answers(scores, value):
    assert derived_value(CSAT, tally(CSAT, scores)) == value


@pytest.mark.parametrize("kind", [NPS, CSAT])
def test_no_answers_give_no_value_not_zero(kind):
    assert derived_value(kind, AnswerCounts(total=0, high=0, low=0)) is None


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="Unknown derived metric kind"):
        derived_value("ces", AnswerCounts(1, 1, 0))
