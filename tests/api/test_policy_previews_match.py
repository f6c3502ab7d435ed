"""A policy preview (POST /api/v1/scoring-policy/preview/) equals what the real change then
gives: for every kind of policy setting, the scores and ranks the preview shows are those
the saved policy's rescore writes. Evidence weights take the two paths of
roadmap.selectors_preview_reach (importance: the kept importance sums, with pending items
folded in; revenue, half-life: the aggregate); both must agree with the rescore."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from roadmap.models import Evidence, Initiative, PendingEvidence
from roadmap.services import initiatives_rescore_marked
from roadmap.services.policy import scoring_policy_update
from tests.factories import (
    AlignmentFactory,
    CustomerFactory,
    EvidenceFactory,
    InitiativeFactory,
    KeyResultFactory,
    SegmentFactory,
)

pytestmark = pytest.mark.django_db
PREVIEW = "/api/v1/scoring-policy/preview/"
INPUTS = {"ease": 5, "business_value": 8, "time_criticality": 3, "risk_reduction": 2}


def _ago(days: float):
    return timezone.now() - timedelta(days=days)


@pytest.fixture
def world():
    """Nine initiatives: evidence of every importance from customers of every kind, manual
    reach, an alignment, an experiment; every framework's inputs."""
    big = SegmentFactory(name="Enterprise", weight=2.0)
    small = SegmentFactory(name="SMB", weight=0.5)
    rich = CustomerFactory(segment=big, annual_revenue=Decimal("5000000"))
    poor = CustomerFactory(segment=small, annual_revenue=Decimal("0"))
    loose = CustomerFactory(segment=None, annual_revenue=Decimal("200000"))
    kr = KeyResultFactory(progress=0.3)
    initiatives = [
        InitiativeFactory(
            reach_source="manual" if n == 8 else "evidence",
            reach=40,
            impact=[0.5, 1, 2, 3][n % 4],
            confidence=50 + 5 * n,
            effort=1 + n % 3,
            job_size=[1, 2, 3, 5, 8][n % 5],
            **INPUTS,
        )
        for n in range(9)
    ]
    importances = ["nice_to_have", "important", "critical"]
    for n, initiative in enumerate(initiatives[:8]):
        for k in range(n + 2):
            EvidenceFactory(
                initiative=initiative,
                customer=[rich, poor, loose, None][(n + k) % 4],
                importance=importances[(n * 2 + k) % 3],
                received_at=_ago(3 + 17 * k + n),
            )
    AlignmentFactory(initiative=initiatives[2], key_result=kr, contribution="strong")
    AlignmentFactory(initiative=initiatives[5], key_result=kr, contribution="weak")
    EvidenceFactory(
        initiative=initiatives[6],
        source="experiment",
        customer=None,
        experiment_lift=4.0,
        experiment_p_value=0.01,
        received_at=_ago(1),
    )
    initiatives_rescore_marked()
    return {"initiatives": initiatives, "rich": rich, "poor": poor}


def _previewed(product, change: dict) -> dict[int, tuple[float, int]]:
    response = product.post(PREVIEW, {"policy": change}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["ranked"] == len(body["top"])  # every initiative is in the top 10
    return {m["id"]: (m["score_after"], m["rank_after"]) for m in body["top"]}, body


def _saved(product_user, change: dict) -> dict[int, tuple[float, int]]:
    scoring_policy_update(actor=product_user, data=change)
    initiatives_rescore_marked()
    return {
        i.pk: (i.priority_score, i.rank)
        for i in Initiative.objects.with_ranks().only("id", "priority_score", "rank_key")
    }


def _same(previewed, saved) -> None:
    assert previewed.keys() == saved.keys()
    for iid, (score, rank) in saved.items():
        assert previewed[iid][0] == pytest.approx(score, rel=1e-6), iid
        assert previewed[iid][1] == rank, iid


KINDS = {
    "framework ice": ({"framework": "ice"}, False),
    "framework wsjf": ({"framework": "wsjf"}, False),
    "custom formula": (
        {"framework": "custom", "formula": "reach * impact + 2 * business_value / effort"},
        False,
    ),
    "alignment weight": ({"alignment_weight": 3.0}, False),
    "unaligned factor": ({"unaligned_factor": 0.25}, False),
    "importance weights": (
        {"importance_critical": 4.0, "importance_nice_to_have": 0.25, "importance_important": 2},
        False,
    ),
    "one importance weight": ({"importance_critical": 0.0}, False),
    "revenue weight": ({"revenue_weight": 2.5}, True),
    "half-life": ({"half_life_days": 7}, True),
    "experiment confidence": ({"experiment_confidence": 95}, False),
    "importance and revenue": ({"importance_critical": 3.0, "revenue_weight": 1.0}, True),
}


@pytest.mark.parametrize("kind", KINDS)
def test_the_preview_is_what_the_saved_policy_gives(product, product_user, world, kind):
    change, reaggregated = KINDS[kind]
    previewed, body = _previewed(product, change)
    assert body["reaggregated"] is reaggregated
    _same(previewed, _saved(product_user, change))


def test_an_importance_preview_folds_in_evidence_not_yet_scored(product, product_user, world):
    """New evidence still pending (ingested, not rescored): the preview counts it, as the
    rescore after the change does, from the kept sums and the pending items."""
    first, second = world["initiatives"][:2]
    fresh = [
        # a new, heavier item of a customer already counted: moves it to another set
        Evidence.objects.create(
            source="interview",
            text="again",
            initiative=first,
            customer=world["rich"],
            importance="critical",
            received_at=_ago(0.5),
        ),
        Evidence.objects.create(
            source="interview",
            text="new",
            initiative=second,
            customer=None,
            importance="nice_to_have",
            received_at=_ago(0.2),
        ),
        Evidence.objects.create(
            source="interview",
            text="older",
            initiative=second,
            customer=world["poor"],
            importance="critical",
            received_at=_ago(400),
        ),
    ]
    PendingEvidence.objects.bulk_create(PendingEvidence(evidence_id=e.pk) for e in fresh)
    change = {"importance_critical": 5.0, "importance_nice_to_have": 0.5}
    previewed, body = _previewed(product, change)
    assert body["reaggregated"] is False
    _same(previewed, _saved(product_user, change))


def test_sums_not_kept_are_aggregated_for_those_initiatives(product, product_user, world):
    """An initiative whose kept sums were forgotten (an evidence edit) is aggregated."""
    forgotten = world["initiatives"][3]
    Initiative.objects.filter(pk=forgotten.pk).update(reach_anchor=None)
    Evidence.objects.filter(initiative=forgotten).update(importance="critical")
    change = {"importance_critical": 3.0}
    previewed, body = _previewed(product, change)
    assert body["reaggregated"] is False
    _same(previewed, _saved(product_user, change))


def test_an_edit_to_evidence_reach_with_a_revenue_weight_counts_its_evidence(
    product, product_user, world
):
    """The aggregate reads only initiatives whose reach is from evidence, and those edited."""
    manual = world["initiatives"][8]
    for days in (2, 40):
        EvidenceFactory(initiative=manual, customer=world["rich"], received_at=_ago(days))
    response = product.post(
        PREVIEW,
        {
            "policy": {"revenue_weight": 2.5},
            "initiatives": [{"id": manual.pk, "changes": {"reach_source": "evidence"}}],
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["reaggregated"] is True
    previewed = {m["id"]: (m["score_after"], m["rank_after"]) for m in body["top"]}
    Initiative.objects.filter(pk=manual.pk).update(reach_source="evidence")
    saved = _saved(product_user, {"revenue_weight": 2.5})
    assert saved[manual.pk][0] > 0
    _same(previewed, saved)
