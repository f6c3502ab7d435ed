"""Every API endpoint and every page, for every kind of account and every method.

The matrix (tests/security/role_matrix.py) says who may do what. The first tests walk the URL
resolver, so a new endpoint or page that is not in the matrix fails the
build until someone decides who may use it. Then each (route, method, role)
is requested for real: allowed means a 2xx/3xx answer; denied means 401
(API, anonymous), 403, or a redirect to the login page (pages, anonymous),
and a denied request must change nothing at all (every workspace row is
compared before and after).

Roles: anonymous, no_role (an account in no group), marketing, integration,
product, superuser.
"""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django.core.cache import cache
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from apikeys.services import api_key_create
from okrs import services as okr_services
from roadmap import services
from roadmap.management.commands.export_workspace import workspace_models
from roadmap.models import WebhookDelivery, WebhookSubscription
from saved_views.models import SavedView
from tests.factories import (
    AlignmentFactory,
    CustomerFactory,
    EvidenceFactory,
    InitiativeFactory,
    KeyResultFactory,
    MetricFactory,
    ObjectiveFactory,
    SegmentFactory,
)
from tests.security.conftest import api_client_for
from tests.security.role_matrix import (
    API,
    API_NO_WRITE,
    METHODS,
    NO_WRITE,
    PAGES,
    ROLES,
)

pytestmark = pytest.mark.django_db

# --- Route discovery ----------------------------------------------------------


def _routes(patterns=None, prefix="", namespace=""):
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _routes(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), f"{namespace}{entry.name}", entry.callback


def _api_methods(callback) -> set[str]:
    actions = getattr(callback, "actions", None)
    if actions:  # a viewset route (DRF adds "head" to it once the view has been called)
        return {method.upper() for method in actions} & set(METHODS)
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    return {m.upper() for m in ("get", "post", "put", "patch", "delete") if hasattr(view_class, m)}


def test_every_api_route_and_method_is_in_the_matrix():
    found = set()
    for route, name, callback in _routes():
        if not route.startswith("api/") or "format" in route:
            continue  # ".json" suffix variants answer exactly like the route they copy
        found |= {(name, method) for method in _api_methods(callback)}
    assert found == set(API), (
        f"not in the matrix: {sorted(found - set(API))}; gone: {sorted(set(API) - found)}"
    )


def test_every_page_is_in_the_matrix():
    found = {
        name
        for route, name, _ in _routes()
        if not route.startswith(("api/", "admin/")) and not route.startswith("static")
    }
    assert found == set(PAGES), (
        f"not in the matrix: {sorted(found - set(PAGES))}; gone: {sorted(set(PAGES) - found)}"
    )


# --- The world the requests act on --------------------------------------------


@pytest.fixture(autouse=True)
def _fresh_throttles(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True  # the matrix's webhook targets are loopback
    cache.delete("throttle_anon_127.0.0.1")  # anonymous schema reads would add up over the run
    yield
    cache.delete("throttle_anon_127.0.0.1")


@pytest.fixture
def world(users):
    objective = ObjectiveFactory(title="Grow revenue")
    spare_objective = ObjectiveFactory(title="Unused objective")
    metric = MetricFactory(key="nps", name="NPS")
    MetricFactory(key="spare", name="Spare")
    kr = KeyResultFactory(objective=objective, metric=metric, title="NPS 45")
    spare_kr = KeyResultFactory(objective=objective, title="Expansion")
    initiative = InitiativeFactory(title="SSO", reach=50, lane="later")
    alignment = AlignmentFactory(initiative=initiative, key_result=kr, contribution="strong")
    segment = SegmentFactory(name="Enterprise")
    customer = CustomerFactory(name="Initech", segment=segment)
    evidence = EvidenceFactory(text="Wants SSO", customer=customer, initiative=None)
    experiment = EvidenceFactory(text="A/B test", source="experiment", initiative=initiative)
    # An integration's own subscription: product sees every one, integration its own.
    webhook = WebhookSubscription.objects.create(
        url="http://127.0.0.1:9/hook",
        events=["priority.changed"],
        secret="x" * 32,
        created_by=users["integration"],
    )
    delivery = WebhookDelivery.objects.create(
        subscription=webhook, event="priority.changed", payload={}
    )
    services.initiatives_rescore_marked()  # a score snapshot of SSO, for its history
    saved_view = SavedView.objects.create(
        owner=users["product"], page="priorities", name="Team view", shared=True
    )
    api_key, _ = api_key_create(
        actor=users["product"], user=users["integration"], name="CRM", scopes=["read"]
    )
    return {
        "objective": objective.pk,
        "spare_objective": spare_objective.pk,
        "kr": kr.pk,
        "spare_kr": spare_kr.pk,
        "initiative": initiative.pk,
        "version": initiative.version,
        "alignment": alignment.pk,
        "segment": segment.pk,
        "customer": customer.pk,
        "objective_version": objective.version,
        "kr_version": kr.version,
        "metric_fingerprint": okr_services.metric_fingerprint(metric),
        "segment_fingerprint": services.segment_fingerprint(segment),
        # As the edit form reads it: from the database (revenue 10000 is stored as 10000.00).
        "customer_fingerprint": services.customer_fingerprint(_from_database(customer)),
        "evidence": evidence.pk,
        "experiment": experiment.pk,
        "webhook": webhook.pk,
        "delivery": delivery.pk,
        "snapshot": initiative.snapshots.get().pk,
        "saved_view": saved_view.pk,
        "integration_user": users["integration"].pk,
        "api_key": api_key.pk,
    }


def _from_database(instance):
    return type(instance).objects.get(pk=instance.pk)


def _fill(value, world):
    if isinstance(value, str):
        return value.format(**world) if "{" in value else value
    if isinstance(value, dict):
        return {_fill(k, world): _fill(v, world) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, world) for v in value]
    return value


def _typed(body):
    """JSON bodies: ids as numbers."""
    if isinstance(body, dict):
        return {k: _typed(v) for k, v in body.items()}
    if isinstance(body, str) and body.isdigit():
        return int(body)
    return body


def _initiative_form(world) -> dict:
    return {
        "title": "Edited in the browser",
        "description": "",
        "status": "planned",
        "lane": "next",
        "target_quarter": "",
        "team": "",
        "owner": "",
        "reach": 60,
        "impact": "1.0",
        "confidence": 80,
        "effort": 2,
        "reach_source": "manual",
        "version": world["version"],
    }


def _state(method: str = "POST") -> dict:
    """Every workspace row, as values: a denied request must leave all of them as they were."""
    if method in ("GET", "HEAD"):
        return {}  # reads are not compared: the run is long enough as it is
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values())
        for model in workspace_models()
    }


def _cases(keys):
    for key in keys:
        for role in ROLES:
            yield pytest.param(key, role, id=f"{'-'.join(key)}-{role}")


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- The API matrix -------------------------------------------------------------


@pytest.mark.parametrize(("key", "role"), list(_cases(API)))
def test_api(key, role, users, world):
    allowed, path, body = API[key]
    method = key[1]
    client = api_client_for(users[role])
    before = _state(method)

    if isinstance(body, str):  # a CSV import's file
        data, content_type = body.encode(), "text/csv"
    else:
        data = None if body is None else json.dumps(_typed(_fill(body, world)))
        content_type = "application/json"
    response = client.generic(method, _fill(path, world), data=data, content_type=content_type)

    if role in allowed:
        assert 200 <= response.status_code < 300, response.content[:500]
        if method != "GET" and key not in API_NO_WRITE:
            assert _state(method) != before, "an allowed write wrote nothing"
    else:
        assert response.status_code == (401 if role == "anonymous" else 403), response.content
        assert _state(method) == before


# --- The page matrix ------------------------------------------------------------


def _page_cases():
    for name in PAGES:
        for method in PAGES[name]:
            for role in ROLES:
                yield pytest.param(name, method, role, id=f"{name}-{method}-{role}")


def _page_client(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize(("name", "method", "role"), list(_page_cases()))
def test_page(name, method, role, users, world):
    allowed, path, data = PAGES[name][method]
    path = _fill(path, world)
    data = _initiative_form(world) if data == "initiative_form" else _fill(data or {}, world)
    client = _page_client(users[role])
    before = _state(method)

    response = getattr(client, method.lower())(path, data)

    if role in allowed:
        assert 200 <= response.status_code < 400, response.content[:500]
        assert name == "logout" or not _is_login_redirect(response)
        if method == "POST" and (name, method) not in NO_WRITE:
            assert _state(method) != before, (
                f"allowed write wrote nothing: {response.content[:300]}"
            )
    else:
        if role == "anonymous":
            assert _is_login_redirect(response), response.status_code
        else:
            assert response.status_code == 403, response.status_code
        assert _state(method) == before


@pytest.mark.parametrize("name", list(PAGES))
@pytest.mark.parametrize("role", ROLES)
def test_methods_a_page_does_not_answer_change_nothing(name, role, users, world):
    """PUT, PATCH, DELETE (and POST to a read page): 405, 403 or the login page, or at most
    the page itself shown again to someone who may read it; never a change."""
    readers = PAGES[name].get("GET", (frozenset(),))[0]
    path = _fill(next(iter(PAGES[name].values()))[1], world)
    client = _page_client(users[role])
    before = _state("POST")
    for method in (m for m in METHODS if m not in PAGES[name]):
        response = client.generic(method, path)
        code = response.status_code
        assert (
            code in (403, 405) or _is_login_redirect(response) or (code == 200 and role in readers)
        ), (method, code)
    assert _state("POST") == before


# --- The admin ------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_only_staff_get_into_the_admin(role, users):
    response = _page_client(users[role]).get("/admin/")
    if role == "superuser":
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def test_the_matrix_covers_every_workspace_model():
    # The denied-writes check compares every workspace row; make sure that is every model.
    ours = {m._meta.label for m in apps.get_models() if m._meta.app_label in ("okrs", "roadmap")}
    # Recounted from the evidence by beat; no request writes it. The search documents
    # are the evidence's text as a tsvector, written by beat or with that text.
    derived = {"roadmap.SegmentCount", "roadmap.EvidenceDocument", "roadmap.EvidenceDocumentMark"}
    assert ours - derived <= {m._meta.label for m in workspace_models()}


def test_the_state_comparison_does_see_an_allowed_write(users, world):
    """The check every denied write relies on would notice a change."""
    before = _state()
    response = api_client_for(users["product"]).patch(
        f"/api/v1/initiatives/{world['initiative']}/", {"title": "Changed"}, format="json"
    )
    assert response.status_code == 200
    assert _state() != before
