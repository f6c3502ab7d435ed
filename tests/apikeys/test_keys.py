import hashlib
import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apikeys.models import ApiKey
from apikeys.scopes import INGEST_ROUTES
from apikeys.services import api_key_create, api_key_revoke
from audit.models import AuditEntry
from tests.factories import KeyResultFactory, MetricFactory, UserFactory

pytestmark = pytest.mark.django_db

KEY_FORMAT = re.compile(r"^prio_[a-z0-9]{8}_[A-Za-z0-9]{40}$")


def test_a_key_is_shown_once_and_stored_only_as_its_sha256(make_key, integration_user):
    key, raw = make_key(integration_user)

    assert KEY_FORMAT.match(raw)
    assert raw.startswith(key.prefix)
    stored = ApiKey.objects.values().get(pk=key.pk)
    assert stored["digest"] == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in str(stored)
    assert raw.split("_")[2] not in str(stored)


def test_an_account_has_several_named_keys(make_key, integration_user):
    first, raw1 = make_key(integration_user)
    second, raw2 = make_key(integration_user, scopes=["read"])

    assert raw1 != raw2
    assert first.public_id != second.public_id
    assert list(integration_user.api_keys.order_by("pk").values_list("scopes", flat=True)) == [
        ["read", "ingest", "write"],
        ["read"],
    ]


def test_create_refuses_no_scope_an_unknown_scope_a_blank_name_and_a_past_expiry(
    product_user, integration_user
):
    def create(**changes):
        values = {"name": "x", "scopes": ["read"], **changes}
        with pytest.raises(ValidationError) as error:
            api_key_create(actor=product_user, user=integration_user, **values)
        return error.value.message_dict

    assert create(scopes=[]) == {"scopes": ["Choose at least one scope."]}
    assert create(scopes=["admin"]) == {"scopes": ["Unknown scopes: admin."]}
    assert create(name="  ") == {"name": ["Name the key (what uses it)."]}
    assert create(expires_at=timezone.now() - timedelta(seconds=1)) == {
        "expires_at": ["The expiry must be in the future."]
    }
    assert not ApiKey.objects.exists()


def test_create_and_revoke_are_audited(make_key, product_user, integration_user):
    key, _ = make_key(integration_user)
    api_key_revoke(actor=product_user, api_key=key)
    api_key_revoke(actor=product_user, api_key=key)  # a second revoke changes nothing

    entries = AuditEntry.objects.filter(object_id=key.pk).order_by("pk")
    assert [(e.action, e.actor) for e in entries] == [
        ("create", product_user),
        ("update", product_user),
    ]
    key.refresh_from_db()
    assert key.status == "revoked"
    assert key.revoked_by == product_user


# --- Bearer and Token ----------------------------------------------------------


def test_bearer_and_the_old_token_header_both_authenticate(make_key, integration, bearer):
    _, raw = make_key(UserFactory(username="ivy"))

    assert bearer(raw).get("/api/v1/priorities/").status_code == 200
    assert integration.get("/api/v1/priorities/").status_code == 200  # Token <drf token>


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        ("Bearer prio_abcdefgh_notthesecret", "Invalid API key."),
        ("Bearer sk_live_123", "Not a Priority API key (they start with prio_)."),
        ("Bearer prio_short", "Malformed API key."),
        ("Bearer", "Invalid Authorization header: give `Bearer <key>`, with no spaces in the key."),
    ],
)
def test_a_wrong_bearer_key_gets_401(anon, header, detail):
    anon.credentials(HTTP_AUTHORIZATION=header)

    response = anon.get("/api/v1/priorities/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert detail in str(response.json())


def test_a_key_with_a_wrong_secret_but_a_real_id_gets_401(make_key, integration_user, bearer):
    _, raw = make_key(integration_user)

    response = bearer(raw[:-1] + ("A" if raw[-1] != "A" else "B")).get("/api/v1/priorities/")

    assert response.status_code == 401
    assert "Invalid API key." in str(response.json())


def test_revoked_and_expired_keys_get_401(make_key, product_user, integration_user, bearer):
    revoked, raw_revoked = make_key(integration_user)
    api_key_revoke(actor=product_user, api_key=revoked)
    expiring, raw_expired = make_key(
        integration_user, expires_at=timezone.now() + timedelta(hours=1)
    )
    ApiKey.objects.filter(pk=expiring.pk).update(expires_at=timezone.now())

    revoked_response = bearer(raw_revoked).get("/api/v1/priorities/")
    expired_response = bearer(raw_expired).get("/api/v1/priorities/")

    assert (revoked_response.status_code, expired_response.status_code) == (401, 401)
    assert "This API key has been revoked." in str(revoked_response.json())
    assert "This API key has expired." in str(expired_response.json())


def test_a_key_of_an_inactive_account_gets_401(make_key, integration_user, bearer):
    _, raw = make_key(integration_user)
    integration_user.is_active = False
    integration_user.save()

    assert bearer(raw).get("/api/v1/priorities/").status_code == 401


def test_last_used_is_written_at_most_once_a_minute(make_key, integration_user, bearer):
    key, raw = make_key(integration_user, scopes=["read"])
    client = bearer(raw)
    assert key.last_used_at is None

    client.get("/api/v1/priorities/")
    first = ApiKey.objects.get(pk=key.pk).last_used_at
    with CaptureQueriesContext(connection) as within_a_minute:
        client.get("/api/v1/priorities/")
    unchanged = ApiKey.objects.get(pk=key.pk).last_used_at
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=first - timedelta(minutes=2))
    client.get("/api/v1/priorities/")
    later = ApiKey.objects.get(pk=key.pk).last_used_at

    assert first is not None
    assert unchanged == first
    assert not [q for q in within_a_minute.captured_queries if q["sql"].startswith("UPDATE")]
    assert later > first - timedelta(minutes=2)


# --- Scopes ----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(INGEST_ROUTES))
def test_every_ingest_route_names_a_post_route_of_the_api(name):
    kwargs = {"key": "nps"} if name == "metric-readings" else {}
    kwargs = {"pk": 1} if name == "key-result-check-ins" else kwargs

    assert reverse(name, kwargs=kwargs).startswith("/api/v1/")


def test_a_read_key_reads_but_may_not_ingest_or_write(make_key, product_user, bearer):
    _, raw = make_key(product_user, scopes=["read"])
    client = bearer(raw)

    read = client.get("/api/v1/initiatives/")
    ingest = client.post("/api/v1/evidence/", {"source": "support", "text": "x"}, format="json")
    write = client.post("/api/v1/initiatives/", {"title": "x"}, format="json")

    assert read.status_code == 200
    assert (ingest.status_code, write.status_code) == (403, 403)
    assert "lacks the 'ingest' scope" in str(ingest.json())
    assert "lacks the 'write' scope" in str(write.json())


def test_an_ingest_key_pushes_evidence_readings_and_check_ins_only(make_key, product_user, bearer):
    MetricFactory(key="nps")
    kr = KeyResultFactory()
    _, raw = make_key(product_user, scopes=["ingest"])
    client = bearer(raw)

    evidence = client.post("/api/v1/evidence/", {"source": "support", "text": "x"}, format="json")
    reading = client.post("/api/v1/metrics/nps/readings/", {"value": 30}, format="json")
    check_in = client.post(
        f"/api/v1/key-results/{kr.pk}/check-ins/",
        {"value": 5, "confidence": "on_track"},
        format="json",
    )
    read = client.get("/api/v1/initiatives/")
    write = client.post("/api/v1/segments/", {"name": "SMB", "weight": 1}, format="json")

    assert [evidence.status_code, reading.status_code, check_in.status_code] == [201, 201, 201]
    assert (read.status_code, write.status_code) == (403, 403)


def test_a_write_key_edits_what_the_role_may(make_key, product_user, bearer):
    _, raw = make_key(product_user, scopes=["write"])

    response = bearer(raw).post("/api/v1/segments/", {"name": "SMB", "weight": 1}, format="json")

    assert response.status_code == 201


def test_a_key_never_exceeds_its_accounts_role(make_key, integration_user, bearer):
    _, raw = make_key(integration_user, scopes=["read", "ingest", "write"])
    client = bearer(raw)

    response = client.post("/api/v1/initiatives/", {"title": "x"}, format="json")

    assert response.status_code == 403
    assert "Only product may change the roadmap." in str(response.json())
