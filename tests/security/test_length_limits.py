"""Every text input has a length limit, enforced with a clear 400 (API) or form error."""

import inspect

import pytest
from django import forms
from django.apps import apps
from django.db import models
from drf_spectacular.generators import SchemaGenerator

from okrs import forms as okr_forms
from roadmap import forms as roadmap_forms
from roadmap.models import Evidence, Initiative
from tests.api.problems import fields, problem
from tests.factories import InitiativeFactory, UserFactory
from tests.security.conftest import api_client_for

pytestmark = pytest.mark.django_db

# Strings without a maxLength, and why that is safe.
UNBOUNDED_API_STRINGS = {
    # A reference: it must name an existing metric's key (a slug of at most 64).
    "KeyResultRequest.metric",
    "PatchedKeyResultRequest.metric",
}
UNBOUNDED_MODEL_TEXT = {
    # Written by the app, never by a user: truncated to 500 characters (roadmap.webhooks).
    "roadmap.WebhookDelivery.last_error",
}
STRING_FORMATS_PARSED = {"date-time", "date", "decimal", "uuid"}


def _resolve(schema, components):
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _unbounded_strings(schema, components, where, seen):
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name in seen:
            return
        seen.add(name)
        yield from _unbounded_strings(components[name], components, name, seen)
        return
    if schema.get("readOnly"):
        return
    if (
        schema.get("type") == "string"
        and "enum" not in schema
        and "maxLength" not in schema
        and schema.get("format") not in STRING_FORMATS_PARSED
        and where not in UNBOUNDED_API_STRINGS
    ):
        yield where
    for name, prop in schema.get("properties", {}).items():
        yield from _unbounded_strings(prop, components, f"{where}.{name}", seen)
    if isinstance(schema.get("items"), dict):
        yield from _unbounded_strings(schema["items"], components, f"{where}[]", seen)
    if isinstance(schema.get("additionalProperties"), dict):
        yield from _unbounded_strings(schema["additionalProperties"], components, where, seen)
    for key in ("allOf", "oneOf", "anyOf"):
        for part in schema.get(key, []):
            yield from _unbounded_strings(part, components, where, seen)


def test_every_string_an_api_request_can_send_has_a_max_length():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    found, checked = set(), set()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body is None:
                continue
            checked.add(f"{method.upper()} {path}")
            found |= set(_unbounded_strings(body["schema"], components, "body", set()))
    assert found == set()
    assert len(checked) >= 20  # every write of the API was looked at


def test_every_text_column_has_a_max_length():
    unbounded = {
        f"{model._meta.label}.{field.name}"
        for app in ("okrs", "roadmap", "audit")
        for model in apps.get_app_config(app).get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.CharField | models.TextField) and not field.max_length
    }
    assert unbounded == UNBOUNDED_MODEL_TEXT


def _form_classes():
    for module in (roadmap_forms, okr_forms):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if not issubclass(cls, forms.BaseForm) or cls.__module__ != module.__name__:
                continue
            if issubclass(cls, forms.BaseModelForm) and cls._meta.model is None:
                continue  # a base class (VersionedForm); its subclasses are checked
            yield cls


def test_every_text_field_of_every_form_has_a_max_length():
    unbounded = []
    classes = list(_form_classes())
    assert len(classes) >= 10
    for cls in classes:
        for name, field in cls().fields.items():
            if type(field) in (forms.CharField, forms.SlugField, forms.EmailField) and (
                field.max_length is None
            ):
                unbounded.append(f"{cls.__name__}.{name}")
    assert unbounded == []


# --- The messages a client gets ---------------------------------------------------


@pytest.fixture
def api(product_user):
    return api_client_for(product_user)


def test_a_title_over_200_characters_is_refused_with_a_clear_400(api):
    response = api.post("/api/v1/initiatives/", {"title": "x" * 201}, format="json")
    assert response.status_code == 400
    assert fields(response) == {"/title": ["Ensure this field has no more than 200 characters."]}
    assert not Initiative.objects.exists()


def test_evidence_text_over_20000_characters_is_refused_naming_the_item(api):
    items = [
        {"source": "interview", "text": "fine"},
        {"source": "interview", "text": "x" * 20_001},
    ]
    response = api.post("/api/v1/evidence/", items, format="json")
    assert response.status_code == 400
    assert problem(response)["detail"] == "1 of 2 items are invalid; nothing was written."
    assert fields(response) == {"/1/text": ["Ensure this field has no more than 20000 characters."]}
    assert not Evidence.objects.exists()


@pytest.mark.parametrize(
    ("url", "body", "field", "limit"),
    [
        ("/api/v1/objectives/", {"title": "Grow", "period": "2026-Q4"}, "description", 10_000),
        ("/api/v1/segments/", {}, "name", 100),
        ("/api/v1/customers/", {"name": "n"}, "external_id", 200),
        ("/api/v1/metrics/", {"key": "nps", "name": "NPS"}, "unit", 32),
        ("/api/v1/metrics/", {"name": "NPS"}, "key", 64),
        (
            "/api/v1/webhooks/",
            {"url": "http://127.0.0.1:9/h", "events": ["priority.changed"]},
            "description",
            200,
        ),
    ],
)
def test_each_resource_refuses_an_over_long_string(api, settings, url, body, field, limit):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    body = {**body, field: "a" * (limit + 1)}
    response = api.post(url, body, format="json")
    assert response.status_code == 400
    assert fields(response)[f"/{field}"] == [
        f"Ensure this field has no more than {limit} characters."
    ]


def test_a_reading_with_an_over_long_source_is_refused(api):
    api.post("/api/v1/metrics/", {"key": "nps", "name": "NPS"}, format="json")
    response = api.post(
        "/api/v1/metrics/nps/readings/", {"value": 1, "source": "s" * 101}, format="json"
    )
    assert response.status_code == 400
    assert fields(response) == {"/source": ["Ensure this field has no more than 100 characters."]}


def test_the_browser_form_refuses_an_over_long_title(client, product_user):
    initiative = InitiativeFactory(title="SSO")
    client.force_login(product_user)
    data = {
        "title": "t" * 201,
        "status": "idea",
        "lane": "later",
        "reach": 1,
        "impact": "1.0",
        "confidence": 80,
        "effort": 1,
        "reach_source": "manual",
        "version": initiative.version,
    }
    response = client.post(f"/initiatives/{initiative.pk}/", data)
    assert response.status_code == 422
    assert "Ensure this value has at most 200 characters (it has 201)." in response.content.decode()
    initiative.refresh_from_db()
    assert initiative.title == "SSO"


def test_the_browser_evidence_form_refuses_over_long_text(client, db):
    client.force_login(UserFactory(username="mia", groups=["marketing"]))
    response = client.post(
        "/evidence/add/", {"text": "x" * 20_001, "source": "interview", "importance": "important"}
    )
    assert response.status_code == 422
    assert (
        "Ensure this value has at most 20000 characters (it has 20001)."
        in response.content.decode()
    )
    assert not Evidence.objects.exists()
