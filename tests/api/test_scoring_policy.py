"""The scoring policy through the API and its service: roles, versions, rescoring, previews."""

import math
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEntry
from roadmap.models import FullRescore, Initiative, PendingCause, ScoringSettings
from roadmap.services import initiatives_rescore_marked
from roadmap.services.policy import policy_current, scoring_policy_update
from tests.api.problems import fields
from tests.factories import AlignmentFactory, InitiativeFactory, KeyResultFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/scoring-policy/"
PREVIEW = "/api/v1/scoring-policy/preview/"


def _scored(*reaches, **fields):
    initiatives = [InitiativeFactory(reach=r, **fields) for r in reaches]
    initiatives_rescore_marked()
    return initiatives


def test_every_role_reads_the_policy_defaults_first(product, marketing, integration):
    for client in (product, marketing, integration):
        body = client.get(URL).json()
        assert body["framework"] == "rice"
        assert body["alignment_weight"] == 1.0
        assert body["unaligned_factor"] == 1.0
        assert body["half_life_days"] == 90.0
        assert body["version"] == 1


def test_only_product_changes_the_policy(marketing, integration, anon):
    for client in (marketing, integration):
        assert client.put(URL, {"framework": "ice"}, format="json").status_code == 403
    assert anon.get(URL).status_code in (401, 403)
    assert not ScoringSettings.objects.exists()


def test_changing_the_policy_rescores_everything_once_audited_with_a_policy_cause(
    product, product_user
):
    low, high = _scored(10, 20, ease=None)
    Initiative.objects.filter(pk=low.pk).update(ease=9)
    Initiative.objects.filter(pk=high.pk).update(ease=2)

    response = product.put(
        URL, {"framework": "ice", "unaligned_factor": 0.5, "version": 1}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["version"] == 2
    assert response.headers["ETag"] == '"2"'
    entry = AuditEntry.objects.get(object_id=1, action="update")
    assert entry.changes["framework"] == ["rice", "ice"]
    assert FullRescore.objects.count() == 1
    initiatives_rescore_marked()  # what the nudge runs after commit
    # ICE now ranks the easy one first.
    low.refresh_from_db()
    high.refresh_from_db()
    assert (low.rank, high.rank) == (1, 2)
    assert low.priority_score == pytest.approx(6 * 8 * 9 * 0.5)
    assert low.breakdown["framework"] == "ice"
    assert not FullRescore.objects.exists()


def test_a_policy_change_is_one_full_rescore_request_with_a_cause_per_field(product_user):
    scoring_policy_update(actor=product_user, data={"alignment_weight": 2.0, "framework": "ice"})
    (request,) = FullRescore.objects.all()
    assert request.reaggregate is False  # no evidence weight changed
    causes = sorted((c.initiative_id, c.payload["field"]) for c in PendingCause.objects.all())
    assert causes == [(None, "alignment_weight"), (None, "framework")]
    framework = PendingCause.objects.get(payload__field="framework").payload
    assert framework == {
        "kind": "policy",
        "field": "framework",
        "from": "rice",
        "to": "ice",
        "by": product_user.username,
    }


def test_an_evidence_weight_change_aggregates_the_evidence_again(product_user):
    scoring_policy_update(actor=product_user, data={"importance_critical": 2.0})
    assert FullRescore.objects.get().reaggregate is True


def test_stale_version_is_a_409_and_changes_nothing(product):
    assert product.put(URL, {"alignment_weight": 2}, format="json").status_code == 200
    response = product.put(URL, {"alignment_weight": 3, "version": 1}, format="json")
    assert response.status_code == 409
    assert response.json()["current"]["alignment_weight"] == 2.0
    assert ScoringSettings.objects.get().alignment_weight == 2.0


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"framework": "custom", "formula": "reach.__class__"}, "formula", "Attribute access"),
        ({"framework": "custom", "formula": "9**9**9"}, "formula", "Powers"),
        ({"framework": "custom", "formula": ""}, "formula", "needs a formula"),
        (
            {"framework": "custom", "formula": "reach / (ease - ease)"},
            "formula",
            "Division by zero",
        ),
        ({"framework": "custom", "formula": "revenue"}, "formula", "Unknown name 'revenue'"),
        ({"framework": "moscow"}, "framework", "not a valid choice"),
        ({"alignment_weight": 11}, "alignment_weight", "less than or equal to 10"),
        ({"unaligned_factor": -0.1}, "unaligned_factor", "greater than or equal to 0"),
        ({"half_life_days": 0}, "half_life_days", "greater than or equal to 1"),
        ({"importance_critical": "2"}, "importance_critical", "valid number"),
    ],
)
def test_bad_policy_is_a_400_naming_the_field_and_writes_nothing(product, body, field, message):
    response = product.put(URL, body, format="json")
    assert response.status_code == 400
    assert message in str(fields(response)[f"/{field}"])
    assert not ScoringSettings.objects.exists()
    assert not FullRescore.objects.exists()


def test_a_custom_formula_scores_every_initiative(product):
    a, b = _scored(10, 20)
    Initiative.objects.filter(pk=a.pk).update(business_value=20)
    body = {"framework": "custom", "formula": "reach * confidence / 100 + 2 * business_value"}
    assert product.put(URL, body, format="json").status_code == 200
    initiatives_rescore_marked()
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.priority_score == pytest.approx(10 * 0.8 + 40)
    assert b.priority_score == 0  # no business value: scores 0 and says so
    assert b.breakdown["missing"] == ["business_value"]


def test_preview_shows_who_moves_without_writing_anything(product, django_assert_max_num_queries):
    kr = KeyResultFactory(progress=0.0)
    big, small = _scored(1000, 300)
    AlignmentFactory(initiative=small, key_result=kr, contribution="strong")
    initiatives_rescore_marked()  # small: 240 x 2.2 = 528; big 800
    before = list(Initiative.objects.values_list("id", "priority_score", "rank_key", "version"))

    with django_assert_max_num_queries(12):
        response = product.post(PREVIEW, {"policy": {"unaligned_factor": 0.5}}, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["up"], body["down"]) == (1, 1)
    moves = {m["id"]: m for m in body["moves"]}
    assert moves[small.pk]["rank_before"] == 2
    assert moves[small.pk]["rank_after"] == 1
    assert moves[small.pk]["places"] == 1
    assert moves[big.pk]["score_after"] == pytest.approx(400)
    assert [m["id"] for m in body["top"]] == [small.pk, big.pk]
    assert (
        list(Initiative.objects.values_list("id", "priority_score", "rank_key", "version"))
        == before
    )
    assert not ScoringSettings.objects.exists()
    assert not FullRescore.objects.exists()


def test_preview_query_count_does_not_grow_with_initiatives(product, django_assert_max_num_queries):
    _scored(*range(1, 120))
    with django_assert_max_num_queries(12):
        assert (
            product.post(PREVIEW, {"policy": {"framework": "ice"}}, format="json").status_code
            == 200
        )


def test_preview_of_an_initiative_edit_and_an_objective_weight(product):
    kr = KeyResultFactory(progress=0.0)
    a, b, c = _scored(100, 200, 300)
    AlignmentFactory(initiative=a, key_result=kr, contribution="strong")
    initiatives_rescore_marked()  # a: 80 x 2.2 = 176, b 160, c 240

    edit = product.post(
        PREVIEW, {"initiatives": [{"id": b.pk, "changes": {"effort": 0.5}}]}, format="json"
    ).json()
    assert edit["rescored"] == 1
    assert [m["id"] for m in edit["top"]] == [b.pk, c.pk, a.pk]

    weight = product.post(
        PREVIEW, {"objectives": [{"id": kr.objective_id, "weight": 3}]}, format="json"
    ).json()
    assert weight["rescored"] == 1
    assert [m["id"] for m in weight["top"]] == [a.pk, c.pk, b.pk]  # 80 x (1 + 3 x 1.2)


def test_preview_refuses_bad_edits(product):
    (a,) = _scored(10)
    bad = product.post(
        PREVIEW, {"initiatives": [{"id": a.pk, "changes": {"effort": 0}}]}, format="json"
    )
    assert bad.status_code == 400
    assert "effort" in str(fields(bad))
    policy = product.post(
        PREVIEW, {"policy": {"framework": "custom", "formula": "1/0"}}, format="json"
    )
    assert policy.status_code == 400
    assert "Division by zero" in str(fields(policy))
    # An id past what the database holds is a 400, not a 500 (schemathesis found it).
    for key, item in (("objectives", {"weight": 2}), ("initiatives", {"changes": {}})):
        huge = product.post(PREVIEW, {key: [{"id": 2**97, **item}]}, format="json")
        assert huge.status_code == 400, huge.content
        assert "less than or equal to" in str(fields(huge))


def test_preview_is_products(marketing):
    assert marketing.post(PREVIEW, {}, format="json").status_code == 403


def test_initiative_patch_with_preview_writes_nothing(product):
    a, _ = _scored(10, 20)
    response = product.patch(f"/api/v1/initiatives/{a.pk}/?preview=1", {"reach": 50}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["moves"][0]["id"] == a.pk
    assert body["moves"][0]["places"] == 1
    a.refresh_from_db()
    assert (a.reach, a.version) == (10, 1)


def test_initiative_takes_framework_inputs_with_bounds(product):
    (a,) = _scored(10)
    ok = product.patch(f"/api/v1/initiatives/{a.pk}/", {"ease": 7.5, "job_size": 13}, format="json")
    assert ok.status_code == 200, ok.json()
    assert (ok.json()["ease"], ok.json()["job_size"]) == (7.5, 13)
    for body, field in (({"ease": 11}, "ease"), ({"job_size": 4}, "job_size")):
        bad = product.patch(f"/api/v1/initiatives/{a.pk}/", body, format="json")
        assert bad.status_code == 400
        assert f"/{field}" in fields(bad)


def test_policy_current_reads_the_stored_row(product_user):
    assert policy_current().framework == "rice"
    scoring_policy_update(actor=product_user, data={"framework": "wsjf"})
    assert policy_current().framework == "wsjf"


def test_default_policy_keeps_todays_scores():
    kr = KeyResultFactory(progress=0.25, objective__weight=2)
    a = InitiativeFactory(reach=100, effort=2)
    AlignmentFactory(initiative=a, key_result=kr, contribution="strong")
    initiatives_rescore_marked()
    a.refresh_from_db()
    assert a.priority_score == pytest.approx(40 * (1 + 1.9))
    with CaptureQueriesContext(connection):
        assert policy_current() == policy_current()


def test_evidence_weights_change_reach_through_the_rescore(product_user):
    from tests.factories import CustomerFactory, EvidenceFactory

    initiative = InitiativeFactory(reach_source="evidence", impact=1, confidence=100, effort=1)
    EvidenceFactory(initiative=initiative, customer=None, importance="critical")
    EvidenceFactory(initiative=initiative, customer=None, importance="nice_to_have")
    rich = CustomerFactory(segment=None, annual_revenue=Decimal("1000000"))
    EvidenceFactory(initiative=initiative, customer=rich, importance="important")
    initiatives_rescore_marked()
    initiative.refresh_from_db()
    assert initiative.reach == pytest.approx(3.0, rel=1e-3)  # today: every item counts 1

    scoring_policy_update(
        actor=product_user,
        data={"importance_critical": 3.0, "importance_nice_to_have": 0.5, "revenue_weight": 1.0},
    )
    initiatives_rescore_marked()
    initiative.refresh_from_db()
    # 3 + 0.5 anonymous; the customer x (1 + log10(1 + 1,000,000 / 100,000)) = 2.04
    assert initiative.reach == pytest.approx(3.5 + 1 + math.log10(11), rel=1e-3)


def test_a_customers_revenue_change_reaggregates_its_initiatives(product_user):
    from roadmap.services.customers import customer_update
    from tests.factories import CustomerFactory, EvidenceFactory

    customer = CustomerFactory(annual_revenue=Decimal("0"))
    initiative = InitiativeFactory(reach_source="evidence")
    EvidenceFactory(initiative=initiative, customer=customer)
    initiatives_rescore_marked()
    customer_update(actor=product_user, customer=customer, data={"annual_revenue": Decimal("5")})
    initiative.refresh_from_db()
    assert initiative.needs_rescore
    assert initiative.reach_anchor is None
