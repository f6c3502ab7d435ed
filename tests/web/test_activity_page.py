"""`/activity/`: every audited change, filtered, keyset-paged, linking to its object."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from okrs import services as okrs_services
from roadmap import services as roadmap_services
from roadmap.services import customers as customer_services
from roadmap.services import policy as policy_services
from tests.factories import EvidenceFactory, InitiativeFactory

pytestmark = pytest.mark.django_db


def _world(actor, n=1, start=0):
    for i in range(start, start + n):
        objective = okrs_services.objective_create(actor=actor, title=f"Grow {i}", period="2026-Q4")
        okrs_services.objective_update(actor=actor, objective=objective, data={"weight": 2})
        kr = okrs_services.key_result_create(
            actor=actor, objective=objective, title=f"KR {i}", start=0, target=10
        )
        okrs_services.check_in_create(actor=actor, key_result=kr, value=3, confidence="at_risk")
        segment = customer_services.segment_create(actor=actor, name=f"Enterprise {i}", weight=1)
        customer_services.segment_update(actor=actor, segment=segment, data={"weight": 3})
        customer = customer_services.customer_create(
            actor=actor, name=f"Acme {i}", external_id=f"acme-{i}", segment=segment
        )
        customer_services.customer_update(actor=actor, customer=customer, data={"name": "Acme 2"})
        initiative = InitiativeFactory(title=f"SSO {i}")
        evidence = EvidenceFactory(customer=customer)
        roadmap_services.evidence_link(
            actor=actor, evidence_ids=[evidence.pk], initiative=initiative
        )
        roadmap_services.evidence_link(actor=actor, evidence_ids=[evidence.pk], initiative=None)
        customer_services.customer_delete(actor=actor, customer=customer)


def test_the_page_shows_who_changed_what_from_what_to_what(marketing_client, product_user):
    _world(product_user)
    html = marketing_client.get("/activity/").content.decode()
    for needle in (
        "Segment",  # a segment's weight
        'data-field="weight"',
        "Customer",  # edited and deleted
        "Deleted",
        "Evidence",  # linked and unlinked
        'data-field="initiative"',
        "Check-in on “KR 0”",
        product_user.get_full_name() or product_user.username,
    ):
        assert needle in html, needle
    assert "Delete" not in html.replace("Deleted", "")  # read-only: no edit control
    objective = AuditEntry.objects.filter(content_type__model="objective").first()
    assert f'href="/okrs/objectives/{objective.object_id}/"' in html


def test_a_deleted_object_is_not_linked(marketing_client, product_user):
    _world(product_user)
    html = marketing_client.get("/activity/", {"kind": "roadmap.customer"}).content.decode()
    assert "/customers/" not in html.split('id="activity-list"')[1]


def test_filters_by_kind_person_and_date(marketing_client, product_user, marketing_user):
    _world(product_user)
    okrs_services.objective_create(actor=marketing_user, title="By marketing", period="2026-Q4")
    by_kind = marketing_client.get("/activity/", {"kind": "roadmap.segment"}).content.decode()
    assert "Enterprise 0" in by_kind
    assert "Grow 0" not in by_kind
    by_person = marketing_client.get("/activity/", {"person": marketing_user.pk}).content.decode()
    assert "By marketing" in by_person
    assert "Grow 0" not in by_person
    tomorrow = (timezone.now() + timedelta(days=1)).date().isoformat()
    later = marketing_client.get("/activity/", {"since": tomorrow}).content.decode()
    assert "No changes match these filters" in later
    bad = marketing_client.get("/activity/", {"since": "2026-12-10", "until": "2026-12-01"})
    assert "The end date is before the start date." in bad.content.decode()


def test_pages_follow_a_cursor_and_the_query_count_does_not_grow(
    marketing_client, product_user, django_assert_max_num_queries
):
    _world(product_user, n=2)
    with django_assert_max_num_queries(30) as small:
        marketing_client.get("/activity/")
    _world(product_user, n=20, start=2)
    assert AuditEntry.objects.count() > 200
    with django_assert_max_num_queries(len(small.captured_queries)):
        first = marketing_client.get("/activity/").content.decode()
    assert 'rel="next"' in first
    next_url = first.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    with django_assert_max_num_queries(len(small.captured_queries)):
        second = marketing_client.get(next_url).content.decode()
    first_ids = {int(x.split('"')[0]) for x in first.split('data-audit-id="')[1:]}
    second_ids = {int(x.split('"')[0]) for x in second.split('data-audit-id="')[1:]}
    assert len(first_ids) == 50
    assert second_ids
    assert not first_ids & second_ids
    assert max(second_ids) < min(first_ids)


def test_integration_and_roleless_accounts_are_refused(client, integration_user):
    client.force_login(integration_user)
    assert client.get("/activity/").status_code == 403


def test_each_kind_of_row_is_named_as_the_app_names_it(marketing_client, product_user):
    _world(product_user)
    policy_services.scoring_policy_update(actor=product_user, data={"half_life_days": 30})
    html = marketing_client.get("/activity/").content.decode()
    kinds = set(re.findall(r'<span class="kind-tag">([^<]*)</span>', html))
    assert "Check-in" in kinds
    assert "Scoring policy" in kinds  # as its page and the kind filter call it
    assert not {"Check in", "Scoring settings"} & kinds
