"""Experiment results on evidence: bounds, the API, and the confidence the policy raises."""

import pytest

from audit.models import AuditEntry
from roadmap.models import ScoringSettings
from roadmap.services import initiatives_rescore_marked
from roadmap.services.experiments import evidence_experiment_set
from tests.api.problems import fields
from tests.factories import EvidenceFactory, InitiativeFactory

pytestmark = pytest.mark.django_db

RESULT = {
    "metric": "activation",
    "variant": "B",
    "lift": 4.2,
    "p_value": 0.01,
    "sample_size": 12000,
}


def _experiment(**fields):
    initiative = InitiativeFactory(reach=100, confidence=50, impact=1, effort=1)
    item = EvidenceFactory(initiative=initiative, source="experiment", **fields)
    return initiative, item


def test_product_records_a_result_and_every_role_reads_it(product, marketing):
    _, item = _experiment()
    url = f"/api/v1/evidence/{item.pk}/experiment/"
    response = product.put(url, RESULT, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["significant"] is True
    assert marketing.get(url).json()["lift"] == 4.2
    assert marketing.put(url, RESULT, format="json").status_code == 403
    assert AuditEntry.objects.filter(object_id=item.pk, action="update").exists()


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"p_value": 1.5}, "p_value", "less than or equal to 1"),
        ({"lift": 1e7}, "lift", "less than or equal to"),
        ({"sample_size": 0}, "sample_size", "greater than or equal to 1"),
        ({"ci_low": 2.0}, "experiment_ci_low", "both bounds"),
        ({"ci_low": 5.0, "ci_high": 1.0}, "experiment_ci_low", "above the upper bound"),
        ({"lift": "4"}, "lift", "valid number"),
    ],
)
def test_bad_results_are_refused(product, body, field, message):
    _, item = _experiment()
    response = product.put(f"/api/v1/evidence/{item.pk}/experiment/", body, format="json")
    assert response.status_code == 400
    assert message in str(fields(response)[f"/{field}"])
    item.refresh_from_db()
    assert not item.has_experiment_result


def test_only_an_experiment_carries_a_result(product):
    item = EvidenceFactory(source="interview")
    response = product.put(f"/api/v1/evidence/{item.pk}/experiment/", RESULT, format="json")
    assert response.status_code == 400
    assert "experiment" in str(fields(response)["/source"])


def test_a_significant_result_raises_confidence_when_the_policy_says_so(product_user):
    initiative, item = _experiment()
    initiatives_rescore_marked()
    evidence_experiment_set(actor=product_user, evidence=item, result=RESULT)
    initiatives_rescore_marked()
    initiative.refresh_from_db()
    assert initiative.rice_score == pytest.approx(100 * 0.5)  # default policy: off

    ScoringSettings.objects.create(pk=1, experiment_confidence=80)
    initiative.needs_rescore = True
    initiative.save(update_fields=["needs_rescore"])
    initiatives_rescore_marked()
    initiative.refresh_from_db()
    assert initiative.rice_score == pytest.approx(100 * 0.8)
    assert initiative.breakdown["confidence"]["entered"] == 50
    assert initiative.confidence == 50  # what was entered stays


def test_an_insignificant_result_leaves_confidence(product_user):
    ScoringSettings.objects.create(pk=1, experiment_confidence=80)
    initiative, item = _experiment()
    evidence_experiment_set(actor=product_user, evidence=item, result={"lift": 4.2, "p_value": 0.2})
    initiatives_rescore_marked()
    initiative.refresh_from_db()
    assert initiative.rice_score == pytest.approx(50)


def test_the_initiative_page_shows_the_result_beside_confidence(client, product_user):
    initiative, item = _experiment()
    evidence_experiment_set(actor=product_user, evidence=item, result=RESULT)
    client.force_login(product_user)
    page = client.get(f"/initiatives/{initiative.pk}/").content.decode()
    assert "activation" in page
    assert "significant +" in page
    assert "lift 4.2%" in page
    # Beside the confidence input: in the RICE inputs' fieldset, after it.
    rice = page[page.index("<legend>RICE inputs</legend>") :]
    rice = rice[: rice.index("</fieldset>")]
    assert 'name="confidence"' in rice
    assert rice.index('name="confidence"') < rice.index('aria-label="Experiment results"')
    assert "lift 4.2%" in rice
