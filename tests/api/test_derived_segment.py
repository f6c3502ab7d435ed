"""A derived metric's segment must name a segment, follows its renames, and takes no pushes."""

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEntry
from okrs import services
from okrs.models import Metric, MetricReading
from roadmap.services import customers as customer_services
from tests.api.problems import fields

pytestmark = pytest.mark.django_db


@pytest.fixture
def enterprise():
    return customer_services.segment_create(actor=None, name="Enterprise", weight=2)


def _derived(segment="Enterprise", key="nps_ent"):
    return services.metric_create(
        actor=None,
        key=key,
        name="Enterprise NPS",
        derived_kind="nps",
        derived_window_days=90,
        derived_segment=segment,
    )


def test_the_service_refuses_a_segment_that_does_not_exist(enterprise):
    with pytest.raises(ValidationError) as refused:
        _derived(segment="Entreprise")
    assert "No segment is named “Entreprise”" in refused.value.message_dict["derived_segment"][0]
    with pytest.raises(ValidationError) as near:
        _derived(segment="enterprise")
    assert "did you mean “Enterprise”" in near.value.message_dict["derived_segment"][0]
    assert not Metric.objects.exists()
    assert _derived().derived_segment == "Enterprise"


def test_the_api_answers_a_field_error(product, enterprise):
    body = {
        "key": "nps_ent",
        "name": "Enterprise NPS",
        "derived_kind": "nps",
        "derived_window_days": 90,
        "derived_segment": "Enterprize",
    }
    response = product.post("/api/v1/metrics/", body, format="json")
    assert response.status_code == 400
    assert "No segment is named “Enterprize”" in fields(response)["/derived_segment"][0]
    assert not Metric.objects.exists()
    metric = _derived()
    patch = product.patch(
        f"/api/v1/metrics/{metric.key}/", {"derived_segment": "Nobody"}, format="json"
    )
    assert patch.status_code == 400
    assert "/derived_segment" in fields(patch)
    assert Metric.objects.get(pk=metric.pk).derived_segment == "Enterprise"


def test_the_metrics_page_shows_the_error_on_the_field(client, product_user, enterprise):
    client.force_login(product_user)
    response = client.post(
        "/okrs/metrics/add/",
        {
            "key": "nps_ent",
            "name": "Enterprise NPS",
            "direction": "up",
            "derived_kind": "nps",
            "derived_window_days": "90",
            "derived_segment": "Enterprize",
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "No segment is named “Enterprize”" in html
    assert not Metric.objects.exists()


def test_a_renamed_segment_takes_its_derived_metrics_along(product_user, enterprise):
    metric = _derived()
    other = _derived(segment="", key="nps_all")
    customer_services.segment_update(
        actor=product_user, segment=enterprise, data={"name": "Large accounts"}
    )
    assert Metric.objects.get(pk=metric.pk).derived_segment == "Large accounts"
    assert Metric.objects.get(pk=other.pk).derived_segment == ""
    entry = AuditEntry.objects.filter(
        content_type__model="metric", object_id=str(metric.pk), action="update"
    ).get()
    assert entry.actor == product_user
    assert entry.changes["derived_segment"] == ["Enterprise", "Large accounts"]


def test_readings_pushed_to_a_derived_metric_are_refused(integration, enterprise):
    metric = _derived()
    response = integration.post(
        f"/api/v1/metrics/{metric.key}/readings/", {"value": 42}, format="json"
    )
    assert response.status_code == 400
    assert "is derived" in str(response.json())
    assert "takes no pushed readings" in str(response.json())
    assert not MetricReading.objects.exists()
    plain = services.metric_create(actor=None, key="dau", name="DAU")
    ok = integration.post(f"/api/v1/metrics/{plain.key}/readings/", {"value": 5}, format="json")
    assert ok.status_code == 201
