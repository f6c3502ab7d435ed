from datetime import UTC, datetime, timedelta

import pytest

from roadmap.scoring import (
    DEFAULT_POLICY,
    AlignmentLink,
    EvidenceSignal,
    RiceInputs,
    ScoreInputs,
    ScoringError,
    ScoringPolicy,
    alignment,
    decay,
    evidence_reach,
    priority,
    rice,
    score,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("reach", "impact", "confidence", "effort", "expected"),
    [
        (100, 2, 80, 2, 80.0),
        (0, 3, 100, 1, 0.0),
        (1000, 0.25, 50, 0.5, 250.0),
        (10, 1, 100, 1e-6, 10_000_000.0),  # tiny effort: large but finite
    ],
)
def test_rice(reach, impact, confidence, effort, expected):
    assert rice(RiceInputs(reach, impact, confidence, effort)) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        (RiceInputs(-1, 1, 80, 1), "reach must be zero or more"),
        (RiceInputs(1, 1.5, 80, 1), "impact must be one of 0.25, 0.5, 1, 2, 3"),
        (RiceInputs(1, 1, 0, 1), "confidence must be more than 0 and at most 100"),
        (RiceInputs(1, 1, 101, 1), "confidence must be more than 0 and at most 100"),
        (RiceInputs(1, 1, 80, 0), "effort must be more than 0"),
        (RiceInputs(1, 1, 80, -2), "effort must be more than 0"),
    ],
)
def test_rice_refuses_out_of_range_inputs(inputs, message):
    with pytest.raises(ScoringError, match=message):
        rice(inputs)


def test_decay_halves_every_half_life():
    assert decay(0, 90) == 1.0
    assert decay(90, 90) == pytest.approx(0.5)
    assert decay(180, 90) == pytest.approx(0.25)
    assert decay(-5, 90) == 1.0  # evidence dated in the future counts as today's


def test_evidence_reach_counts_each_customer_once_by_its_newest_evidence():
    signals = [
        EvidenceSignal(NOW - timedelta(days=180), customer_id=1),
        EvidenceSignal(NOW, customer_id=1),  # newest wins: full weight
        EvidenceSignal(NOW - timedelta(days=90), customer_id=2),
    ]
    result = evidence_reach(signals, now=NOW)
    assert result.customers == 2
    assert result.value == pytest.approx(1.0 + 0.5)


def test_evidence_reach_weights_customers_by_segment():
    signals = [
        EvidenceSignal(NOW, customer_id=1, segment_weight=2.0),
        EvidenceSignal(NOW, customer_id=2, segment_weight=0.0),  # zero weight counts nothing
        EvidenceSignal(NOW, customer_id=3, segment_weight=None),  # no segment: weight 1
    ]
    assert evidence_reach(signals, now=NOW).value == pytest.approx(3.0)


def test_evidence_without_a_customer_counts_once_per_item():
    signals = [EvidenceSignal(NOW), EvidenceSignal(NOW), EvidenceSignal(NOW - timedelta(days=90))]
    result = evidence_reach(signals, now=NOW)
    assert result.anonymous_items == 3
    assert result.customers == 0
    assert result.value == pytest.approx(2.5)


def test_no_evidence_means_no_reach():
    result = evidence_reach([], now=NOW)
    assert result.value == 0
    assert "0 customers" in result.explanation


def test_half_life_is_a_policy_setting():
    signals = [EvidenceSignal(NOW - timedelta(days=30), customer_id=1)]
    assert evidence_reach(signals, now=NOW, policy=ScoringPolicy(half_life_days=30)).value == (
        pytest.approx(0.5)
    )


def _link(contribution="strong", weight=1.0, progress=0.0, kr=1):
    return AlignmentLink(kr, f"KR {kr}", 1, "Objective", contribution, weight, progress)


@pytest.mark.parametrize(
    ("links", "expected"),
    [
        ([], 0.0),
        ([_link("strong", 1.0, 0.0)], 1.0 * 1.0 * (0.2 + 1.0)),
        ([_link("medium", 2.0, 0.5)], 0.5 * 2.0 * (0.2 + 0.5)),
        ([_link("weak", 3.0, 1.0)], 0.25 * 3.0 * 0.2),  # a met KR still counts a little
        ([_link("strong", 1.0, 1.7)], 0.2),  # progress is clamped to [0, 1]
        ([_link("strong", 1, 0), _link("weak", 2, 0.5, kr=2)], 1.2 + 0.25 * 2 * 0.7),
    ],
)
def test_alignment_favours_lagging_key_results_of_important_objectives(links, expected):
    assert alignment(links) == pytest.approx(expected)


def test_unknown_contribution_is_refused():
    with pytest.raises(ScoringError, match="unknown contribution 'huge'"):
        alignment([_link("huge")])


def test_priority_multiplies_rice_by_one_plus_alignment():
    assert priority(80.0, 0.0) == 80.0
    assert priority(80.0, 1.5) == pytest.approx(200.0)


def test_score_explains_every_factor():
    result = score(
        ScoreInputs(
            reach_source="manual",
            manual_reach=100,
            impact=2,
            confidence=80,
            effort=2,
            links=(_link("strong", 2.0, 0.75),),
        )
    )
    assert result.rice_score == pytest.approx(80.0)
    assert result.alignment_score == pytest.approx(1.0 * 2.0 * (0.2 + 0.25))
    assert result.priority_score == pytest.approx(80.0 * 1.9)
    assert not result.unaligned
    b = result.breakdown
    assert b["reach"] == {"value": 100, "source": "manual", "explanation": "set by hand"}
    assert b["impact"] == {"value": 2, "label": "high"}
    assert b["alignment"]["terms"][0]["gap"] == 0.25
    assert b["alignment"]["terms"][0]["contribution"] == "strong"
    assert b["priority"] == pytest.approx(152.0)


def test_initiatives_sharing_a_key_result_get_their_own_breakdown_terms():
    link = _link("medium", 2.0, 0.5)
    first = score(ScoreInputs("manual", 100, 1, 100, 1, links=(link,)))
    first.breakdown["alignment"]["terms"][0]["objective"] = "edited by a caller"
    alignment_terms_of = [t["objective"] for t in first.breakdown["alignment"]["terms"]]
    second = score(ScoreInputs("manual", 50, 1, 100, 1, links=(link,)))
    assert alignment_terms_of == ["edited by a caller"]
    assert second.breakdown["alignment"]["terms"][0]["objective"] == "Objective"
    assert second.breakdown["alignment"]["terms"][0]["value"] == 0.7


def test_a_policy_with_another_floor_scores_the_same_link_anew():
    link = _link("strong", 1.0, 1.0)
    assert alignment([link]) == pytest.approx(0.2)
    assert alignment([link], policy=ScoringPolicy(alignment_floor=0.5)) == pytest.approx(0.5)
    weights = {"strong": 2.0, "medium": 0.5, "weak": 0.25}
    assert alignment([link], policy=ScoringPolicy(contribution_weights=weights)) == (
        pytest.approx(0.4)
    )


def test_unaligned_initiative_keeps_its_rice_score_and_is_flagged():
    result = score(ScoreInputs("manual", 100, 1, 100, 1))
    assert result.priority_score == result.rice_score == 100.0
    assert result.unaligned
    assert result.breakdown["alignment"]["unaligned"] is True


def test_evidence_reach_source_uses_the_evidence_result():
    reach = evidence_reach([EvidenceSignal(NOW, customer_id=1)], now=NOW)
    result = score(ScoreInputs("evidence", 999, 1, 100, 1, evidence=reach))
    assert result.reach == 1.0
    assert result.breakdown["reach"]["source"] == "evidence"
    assert result.breakdown["reach"]["customers"] == 1


def test_default_policy_is_documented_values():
    assert DEFAULT_POLICY.half_life_days == 90
    assert DEFAULT_POLICY.contribution_weights == {"strong": 1.0, "medium": 0.5, "weak": 0.25}
