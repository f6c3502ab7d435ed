"""The customers page: segments with weights, customers a page at a time, edits in place."""

import re

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from roadmap import services
from roadmap.models import Customer, Initiative, Segment
from tests.factories import (
    CustomerFactory,
    EvidenceFactory,
    InitiativeFactory,
    SegmentFactory,
)

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
URL = "/customers/"


@pytest.fixture
def asked_for():
    segment = SegmentFactory(name="Mid-market", weight=1.0)
    customer = CustomerFactory(name="Globex", external_id="crm-7", segment=segment)
    initiative = InitiativeFactory(reach_source="evidence", impact=1, confidence=100, effort=1)
    EvidenceFactory(initiative=initiative, customer=customer)
    EvidenceFactory(initiative=None, customer=customer)
    services.initiatives_rescore_marked()
    return {"segment": segment, "customer": customer, "initiative": initiative}


def _priority(initiative) -> float:
    services.initiatives_rescore_marked()
    return Initiative.objects.get(pk=initiative.pk).priority_score


def _fingerprint(client, url) -> str:
    html = client.get(url, headers=HTMX).content.decode()
    return re.search(r'name="fingerprint" value="(\w+)"', html).group(1)


def test_the_page_lists_segments_and_customers(marketing_client, asked_for):
    html = marketing_client.get(URL).content.decode()
    segment = re.search(r'<tbody id="segment-\d+".*?</tbody>', html, re.S).group(0)
    assert "Mid-market" in segment
    assert '<td class="num" data-weight>1</td>' in segment
    customer = re.search(r'<tbody id="customer-\d+".*?</tbody>', html, re.S).group(0)
    assert "<code>crm-7</code>" in customer
    assert '<td class="num">2</td>' in customer  # evidence items
    for control in ("Edit", "Delete", "Add a segment", "Add a customer"):
        assert control not in html


def test_customers_are_paginated_and_filtered(product_client):
    enterprise = SegmentFactory(name="Enterprise")
    for n in range(120):
        CustomerFactory(name=f"Customer {n:03}", segment=enterprise if n % 2 else None)
    html = product_client.get(URL).content.decode()
    assert "120 customers." in html
    assert "Showing 1 to 50." in html
    assert "Page 1 of 3" in html
    assert html.count('<tbody id="customer-') == 50
    html = product_client.get(f"{URL}?segment={enterprise.pk}&page=2").content.decode()
    assert "60 customers match." in html
    assert f'href="?segment={enterprise.pk}&amp;page=1"' in html
    table = product_client.get(
        f"{URL}?q=Customer 11", headers={**HTMX, "HX-Target": "customer-table"}
    )
    html = table.content.decode()
    assert html.startswith('\n<div id="customer-table"')
    assert "10 customers match." in html  # 110 to 119


def test_the_customer_list_counts_once(product_client, django_assert_num_queries):
    for n in range(60):
        CustomerFactory(name=f"C{n}")
    product_client.get(URL)
    # Session, user, groups, segments with their customer counts, the customer count, one
    # page of customers, their evidence counts, the segment choices of the two forms, and
    # the navigation's saved views.
    with django_assert_num_queries(10):
        product_client.get(URL)


def test_a_segment_weight_edit_rescores_what_its_customers_asked_for(
    product_client, asked_for, product_user
):
    segment, initiative = asked_for["segment"], asked_for["initiative"]
    before = _priority(initiative)
    url = reverse("roadmap:segment-edit", args=[segment.pk])
    response = product_client.post(
        url,
        {"name": "Mid-market", "weight": "3", "fingerprint": _fingerprint(product_client, url)},
        headers=HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<tbody id="segment-{segment.pk}" class="row-group is-saved">' in html
    assert '<td class="num" data-weight>3</td>' in html
    assert _priority(initiative) == pytest.approx(3 * before, rel=1e-3)
    entry = AuditEntry.objects.get(content_type__model="segment")
    assert (entry.actor, entry.changes) == (product_user, {"weight": [1.0, 3.0]})


def test_a_customer_segment_change_rescores_what_it_asked_for(product_client, asked_for):
    customer, initiative = asked_for["customer"], asked_for["initiative"]
    heavy = SegmentFactory(name="Enterprise", weight=4)
    before = _priority(initiative)
    url = reverse("roadmap:customer-edit", args=[customer.pk])
    response = product_client.post(
        url,
        {
            "name": "Globex",
            "external_id": "crm-7",
            "segment": str(heavy.pk),
            "annual_revenue": "10000",
            "fingerprint": _fingerprint(product_client, url),
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    assert "Enterprise" in response.content.decode()
    assert _priority(initiative) == pytest.approx(4 * before, rel=1e-3)
    assert AuditEntry.objects.get(content_type__model="customer").changes == {
        "segment": [asked_for["segment"].pk, heavy.pk]
    }


def test_a_stale_customer_edit_is_refused_with_both_versions(product_client, asked_for):
    customer = asked_for["customer"]
    url = reverse("roadmap:customer-edit", args=[customer.pk])
    seen = _fingerprint(product_client, url)
    services.customer_update(actor=None, customer=customer, data={"name": "Globex Corp"})
    response = product_client.post(
        url,
        {
            "name": "Globex Inc",
            "external_id": "crm-7",
            "segment": str(asked_for["segment"].pk),
            "annual_revenue": "10000",
            "fingerprint": seen,
        },
        headers=HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert "Someone else changed this customer while you were editing." in html
    assert '<th scope="row">Name</th><td>Globex Corp</td><td>Globex Inc</td>' in html
    assert 'value="Globex Inc"' in html
    assert Customer.objects.get(pk=customer.pk).name == "Globex Corp"
    # Saving again overwrites, on purpose: the form now carries the current fingerprint.
    again = re.search(r'name="fingerprint" value="(\w+)"', html).group(1)
    response = product_client.post(
        url,
        {
            "name": "Globex Inc",
            "external_id": "crm-7",
            "segment": str(asked_for["segment"].pk),
            "annual_revenue": "10000",
            "fingerprint": again,
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    assert Customer.objects.get(pk=customer.pk).name == "Globex Inc"


def test_refused_segment_and_customer_forms_show_field_errors(product_client, asked_for):
    response = product_client.post(
        reverse("roadmap:segment-add"), {"name": "Mid-market", "weight": "-2"}, headers=HTMX
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "Segment with this Name already exists." in html
    assert "Ensure this value is greater than or equal to 0." in html
    response = product_client.post(
        reverse("roadmap:customer-add"),
        {"name": "", "external_id": "crm-7", "annual_revenue": "-1"},
        headers=HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "Customer with this External id already exists." in html
    assert (
        '<span class="field-error" id="customer-new-name_error">This field is required.</span>'
        in html
    )
    assert Segment.objects.count() == 1
    assert Customer.objects.count() == 1


def test_product_adds_and_deletes_segments_and_customers(product_client, asked_for):
    response = product_client.post(
        reverse("roadmap:segment-add"), {"name": "SMB", "weight": "0.5"}, headers=HTMX
    )
    assert response["HX-Redirect"] == URL
    smb = Segment.objects.get(name="SMB")
    response = product_client.post(
        reverse("roadmap:customer-add"),
        {"name": "Initech", "external_id": "", "segment": str(smb.pk), "annual_revenue": "5000"},
        headers=HTMX,
    )
    assert response["HX-Redirect"] == f"{URL}?q=Initech"
    initech = Customer.objects.get(name="Initech")
    assert initech.external_id is None  # empty means none: many customers may have none
    product_client.post(reverse("roadmap:customer-delete", args=[initech.pk]), headers=HTMX)
    product_client.post(reverse("roadmap:segment-delete", args=[smb.pk]), headers=HTMX)
    assert not Segment.objects.filter(name="SMB").exists()
    assert not Customer.objects.filter(name="Initech").exists()
    assert sorted(AuditEntry.objects.values_list("content_type__model", "action")) == [
        ("customer", "create"),
        ("customer", "delete"),
        ("segment", "create"),
        ("segment", "delete"),
    ]


def test_marketing_cannot_change_customers_or_segments(marketing_client, asked_for):
    segment, customer = asked_for["segment"], asked_for["customer"]
    for url in (
        reverse("roadmap:segment-add"),
        reverse("roadmap:segment-edit", args=[segment.pk]),
        reverse("roadmap:segment-delete", args=[segment.pk]),
        reverse("roadmap:customer-add"),
        reverse("roadmap:customer-edit", args=[customer.pk]),
        reverse("roadmap:customer-delete", args=[customer.pk]),
    ):
        assert marketing_client.post(url, {"name": "x", "weight": "9"}).status_code == 403
    assert Segment.objects.get().weight == 1.0
    assert not AuditEntry.objects.exists()
