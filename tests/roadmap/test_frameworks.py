"""The frameworks a policy may choose, with worked examples from their sources."""

import pytest

from roadmap.scoring import (
    AlignmentLink,
    FrameworkInputs,
    ScoreInputs,
    ScoringError,
    ScoringPolicy,
    score,
    validate_framework,
)
from roadmap.scoring.frameworks import ice, wsjf

LINK = AlignmentLink(1, "KR", 1, "Objective", "strong", 1.0, 0.5)  # term 1 x 1 x (0.2 + 0.5)


def _inputs(reach=100.0, impact=1.0, confidence=80.0, effort=1.0, links=(), **extra):
    return ScoreInputs(
        "manual", reach, impact, confidence, effort, links=links, extra=FrameworkInputs(**extra)
    )


@pytest.mark.parametrize(
    ("reach", "impact", "confidence", "effort", "expected"),
    [
        (1_000, 3, 90, 4, 675.0),
        (500, 2, 80, 2, 400.0),
        (2_000, 2, 80, 4, 800.0),
    ],
)
def test_default_policy_gives_intercoms_rice_scores(reach, impact, confidence, effort, expected):
    """RICE = reach x impact x confidence / effort (Sean McBride, "RICE: Simple
    prioritization for product managers", Intercom blog): unaligned work under
    the default policy scores its RICE exactly."""
    result = score(_inputs(reach, impact, confidence, effort))
    assert result.priority_score == pytest.approx(expected)
    assert result.rice_score == pytest.approx(expected)


@pytest.mark.parametrize(
    ("impact", "confidence", "ease", "expected"),
    [
        (8, 7, 5, 280),  # "homepage hero test"
        (7, 8, 9, 504),  # "pricing page headline test"
        (9, 5, 2, 90),  # "full checkout redesign"
        (10, 10, 10, 1000),
        (1, 1, 1, 1),
    ],
)
def test_ice_is_impact_times_confidence_times_ease(impact, confidence, ease, expected):
    """Sean Ellis's ICE (GrowthHackers): impact, confidence and ease, each 1-10; the
    product form, with the worked examples of atticusli.com's ICE glossary entry
    (8/7/5 = 280, 7/8/9 = 504, 9/5/2 = 90)."""
    assert ice(impact, confidence, ease) == expected


@pytest.mark.parametrize(
    ("bv", "tc", "rr", "size", "expected"),
    [
        (1, 3, 5, 3, 3.0),  # cost of delay 1 + 3 + 5 = 9 (Jason Yip's example), job size 3
        (7, 9, 5, 2, 10.5),  # the ad-load bug fix: CoD 21 / size 2
        (8, 3, 4, 8, 1.875),  # the podcast discovery feed: CoD 15 / size 8
        (20, 20, 20, 1, 60.0),
        (1, 1, 1, 20, 0.15),
    ],
)
def test_wsjf_is_cost_of_delay_over_job_size(bv, tc, rr, size, expected):
    """SAFe's WSJF = (user-business value + time criticality + risk reduction /
    opportunity enablement) / job size, on the modified Fibonacci scale 1, 2, 3,
    5, 8, 13, 20 (Scaled Agile, "WSJF"). Examples: Jason Yip, "Problems I have
    with SAFe-style WSJF" (1 + 3 + 5 = 9); extrapinchofsalt.com's WSJF page
    (7 + 9 + 5 over 2 = 10.5; 8 + 3 + 4 over 8 = 1.9)."""
    assert wsjf(bv, tc, rr, size) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ice(0, 5, 5), "ICE impact must be more than 0 and at most 10"),
        (lambda: ice(5, 11, 5), "ICE confidence must be more than 0 and at most 10"),
        (lambda: wsjf(1, 1, 1, 0), "WSJF job size must be more than 0 and at most 20"),
        (lambda: wsjf(21, 1, 1, 1), "WSJF business value must be more than 0 and at most 20"),
    ],
)
def test_frameworks_refuse_out_of_range_inputs(call, message):
    with pytest.raises(ScoringError, match=message):
        call()


def test_ice_policy_reads_impact_and_confidence_on_ten_point_scales():
    policy = ScoringPolicy(framework="ice")
    result = score(_inputs(impact=2.0, confidence=70.0, ease=5.0), policy=policy)
    assert result.rice_score == pytest.approx(8 * 7 * 5)  # high impact is 8; 70% is 7
    assert result.breakdown["framework"] == "ice"
    assert [f["name"] for f in result.breakdown["factors"]] == ["impact", "confidence", "ease"]


def test_wsjf_policy_scores_with_the_initiatives_wsjf_inputs():
    policy = ScoringPolicy(framework="wsjf")
    result = score(
        _inputs(business_value=8, time_criticality=3, risk_reduction=5, job_size=2),
        policy=policy,
    )
    assert result.priority_score == pytest.approx(8.0)
    assert result.breakdown["formula"].startswith("priority = (business value")


def test_an_initiative_missing_its_frameworks_inputs_scores_zero_and_says_which():
    result = score(_inputs(business_value=8), policy=ScoringPolicy(framework="wsjf"))
    assert result.priority_score == 0
    assert result.breakdown["missing"] == ["time_criticality", "risk_reduction", "job_size"]


def test_custom_formula_policy():
    policy = ScoringPolicy(
        framework="custom", formula="reach * impact * confidence / effort + 2 * business_value"
    )
    result = score(
        _inputs(reach=10, impact=2, confidence=50, effort=1, business_value=3), policy=policy
    )
    assert result.rice_score == pytest.approx(10 * 2 * 50 / 1 + 6)
    assert result.breakdown["custom_formula"] == policy.formula


def test_custom_formula_reads_alignment():
    policy = ScoringPolicy(
        framework="custom", formula="reach * (1 + alignment)", alignment_weight=0
    )
    result = score(_inputs(reach=10, links=(LINK,)), policy=policy)
    assert result.priority_score == pytest.approx(10 * 1.7)


@pytest.mark.parametrize(
    ("weight", "expected"),
    [(1.0, 80 * 1.7), (0.0, 80.0), (2.0, 80 * 2.4)],
)
def test_alignment_weight_scales_the_multiplier(weight, expected):
    result = score(_inputs(links=(LINK,)), policy=ScoringPolicy(alignment_weight=weight))
    assert result.priority_score == pytest.approx(expected)


def test_unaligned_factor_puts_strategy_first():
    policy = ScoringPolicy(unaligned_factor=0.5)
    unaligned = score(_inputs(reach=1000), policy=policy)
    aligned = score(_inputs(reach=400, links=(LINK,)), policy=policy)
    assert unaligned.priority_score == pytest.approx(400.0)  # 800 x 0.5
    assert aligned.priority_score == pytest.approx(320 * 1.7)
    assert unaligned.breakdown["alignment"]["unaligned_factor"] == 0.5


def test_experiment_raises_confidence_when_the_policy_says_so():
    policy = ScoringPolicy(experiment_confidence=90)
    inputs = ScoreInputs("manual", 100, 1, 50, 1, experiment=True)
    result = score(inputs, policy=policy)
    assert result.rice_score == pytest.approx(90)
    assert result.breakdown["confidence"]["entered"] == 50
    assert "raised from 50% to 90%" in result.breakdown["confidence"]["explanation"]
    assert score(inputs).rice_score == pytest.approx(50)  # default policy: off


@pytest.mark.parametrize(
    ("framework", "formula", "message"),
    [
        ("nope", "", "unknown framework 'nope'"),
        ("custom", "", "the formula is empty"),
        ("custom", "reach / (ease - ease)", "division by zero"),
        ("custom", "reach.__class__", "attribute access"),
    ],
)
def test_validate_framework(framework, formula, message):
    with pytest.raises(ScoringError, match=message):
        validate_framework(framework, formula)


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        ({"lift": 4.2, "p_value": 0.01}, True),
        ({"lift": 4.2, "p_value": 0.05}, False),  # not below 0.05
        ({"lift": -3.0, "p_value": 0.001}, False),  # significant, but worse
        ({"lift": 4.2}, False),  # no evidence of significance
        ({"ci_low": 0.5, "ci_high": 7.0}, True),
        ({"ci_low": -0.5, "ci_high": 7.0, "lift": 3.0}, False),
        ({"ci_low": 0.0, "ci_high": 2.0}, False),
        ({}, False),
    ],
)
def test_significant_positive_experiment_rule(result, expected):
    from roadmap.scoring.experiments import ExperimentResult, significant

    assert significant(ExperimentResult(**result)) is expected
