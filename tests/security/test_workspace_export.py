"""export_workspace / import_workspace: a round trip loses nothing, ids and all;
secrets leave the system only when asked for, and loudly."""

import io
import json
from datetime import UTC, datetime

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apikeys.models import ApiKey
from apikeys.services import api_key_create
from okrs.models import KeyResult
from roadmap.management.commands.export_workspace import serialize_workspace, workspace_models
from roadmap.models import (
    Evidence,
    FullRescore,
    Initiative,
    PendingCause,
    PendingEvidence,
    ScoreQuarantine,
    ScoringSettings,
    TeamCapacity,
    WebhookDelivery,
    WebhookSubscription,
)
from roadmap.models.policy import SINGLETON_ID
from saved_views.models import SavedView
from tests.factories import CheckInFactory

pytestmark = pytest.mark.django_db(transaction=True)

# Rows that are not workspace data, or are rebuilt by `migrate`, and why.
NOT_EXPORTED = {
    "apikeys.IdempotencyRecord": "answers replayed to a retried POST for 24 hours",
    "roadmap.SegmentCount": "recounted from the evidence by beat every few minutes",
    "roadmap.EvidenceDocument": "the inbox search's documents: forgotten by an import, swept again",
    "roadmap.EvidenceDocumentMark": "how far the document sweep has got: 0 after an import",
    "auth.Permission": "created by migrate; exported rows name permissions by natural key",
    "contenttypes.ContentType": "created by migrate; named by natural key",
    "sessions.Session": "everyone logs in again after a move",
    "axes.AccessAttempt": "login-lockout state, not workspace data",
    "axes.AccessAttemptExpiration": "login-lockout state",
    "axes.AccessFailureLog": "login-lockout log",
    "axes.AccessLog": "login log",
    "authtoken.TokenProxy": "a proxy of Token",
}


NEXT_ATTEMPT = datetime(2026, 11, 1, 9, 30, 15, 123, tzinfo=UTC)


def _dump() -> list[dict]:
    """Every row as an export with secrets writes it; many-to-many sets in a fixed order."""
    stream = io.StringIO()
    serialize_workspace(stream, with_secrets=True)
    rows = json.loads(stream.getvalue())
    for row in rows:
        model = apps.get_model(row["model"])
        for field in model._meta.many_to_many:
            row["fields"][field.name].sort()
    return rows


@pytest.fixture
def workspace():
    """The demo company, plus the rows seed_demo doesn't make: tokens, webhooks, admin log."""
    call_command("seed_demo", stdout=io.StringIO())
    pat = User.objects.get(username="product")
    Token.objects.create(user=User.objects.get(username="integration"))
    auditors = Group.objects.create(name="auditors")
    auditors.permissions.add(Permission.objects.get(codename="view_auditentry"))
    pat.groups.add(auditors)
    pat.user_permissions.add(Permission.objects.get(codename="change_initiative"))
    SavedView.objects.create(owner=pat, page="priorities", name="By reach", query="sort=-reach")
    subscription = WebhookSubscription.objects.create(
        url="https://hooks.example.com/priority",
        events=["priority.changed"],
        secret="s3cret-signing-key",
        created_by=pat,
    )
    WebhookDelivery.objects.create(
        subscription=subscription,
        event="priority.changed",
        payload={"event": "priority.changed", "initiatives": [{"id": 1, "rank": 2}]},
        attempts=3,
        last_error="connection refused",
        next_attempt_at=NEXT_ATTEMPT,
    )
    CheckInFactory(key_result=KeyResult.objects.first(), note="On track <b>really</b>")
    # New evidence the worker has not folded into its initiative's sums yet.
    PendingEvidence.objects.create(evidence_id=Evidence.objects.first().pk)
    # A full rescore asked for and not yet run, and why an initiative was marked.
    FullRescore.objects.create(reaggregate=True)
    PendingCause.objects.create(
        initiative=Initiative.objects.first(),
        payload={"kind": "edit", "field": "effort", "from": 1.0, "to": 2.0, "by": "product"},
    )
    # The team's scoring policy (no row until product first saves it).
    ScoringSettings.objects.update_or_create(
        pk=SINGLETON_ID, defaults={"framework": "ice", "alignment_weight": 0.5}
    )
    TeamCapacity.objects.update_or_create(
        team="Platform", quarter="2026-Q4", defaults={"person_months": 12.5}
    )
    api_key_create(
        actor=pat, user=User.objects.get(username="integration"), name="CRM", scopes=["read"]
    )
    ScoreQuarantine.objects.create(
        initiative=Initiative.objects.last(),
        error="ScoringError: the score is not a finite number",
        first_failed_at=timezone.now(),
        last_failed_at=timezone.now(),
    )
    initiative = Initiative.objects.first()
    LogEntry.objects.log_actions(
        user_id=pat.pk, queryset=[initiative], action_flag=CHANGE, change_message="Edited"
    )
    return _dump()


def test_every_model_is_exported_or_deliberately_left_out():
    exported = {m._meta.label for m in workspace_models()}
    everything = {m._meta.label for m in apps.get_models(include_auto_created=False)}
    assert everything - exported == set(NOT_EXPORTED)


def test_round_trip_through_an_empty_database_keeps_every_row_identical(tmp_path, workspace):
    path = tmp_path / "out.json"
    call_command(
        "export_workspace", str(path), "--with-secrets", stdout=io.StringIO(), stderr=io.StringIO()
    )
    file_rows = json.loads(path.read_text())
    assert {row["model"] for row in file_rows} == {
        m._meta.label_lower for m in workspace_models()
    }, "the fixture should give every model at least one row"

    call_command("flush", interactive=False, verbosity=0)
    # A fresh database numbers content types differently: the file must not depend on it.
    old_ids = dict(ContentType.objects.filter(app_label="roadmap").values_list("model", "id"))
    ContentType.objects.filter(app_label="roadmap").delete()
    ContentType.objects.clear_cache()
    call_command("migrate", verbosity=0)
    new_ids = dict(ContentType.objects.filter(app_label="roadmap").values_list("model", "id"))
    assert set(old_ids.values()).isdisjoint(new_ids.values())
    assert _dump() == []

    out = io.StringIO()
    call_command("import_workspace", str(path), stdout=out)

    assert _dump() == workspace
    # Microseconds too: Django's JSON encoder alone would cut them to milliseconds.
    assert WebhookDelivery.objects.get().next_attempt_at == NEXT_ATTEMPT
    assert f"Imported {len(workspace)} rows" in out.getvalue()


def test_with_secrets_imported_accounts_log_in_and_tokens_still_work(tmp_path, workspace, client):
    path = tmp_path / "out.json"
    call_command(
        "export_workspace", str(path), "--with-secrets", stdout=io.StringIO(), stderr=io.StringIO()
    )
    key = Token.objects.get(user__username="integration").key
    call_command("flush", interactive=False, verbosity=0)
    call_command("import_workspace", str(path), stdout=io.StringIO())

    response = client.post("/accounts/login/", {"username": "product", "password": "priority-demo"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/priorities/").status_code == 200


def test_new_rows_after_an_import_get_fresh_ids(tmp_path, workspace):
    path = tmp_path / "out.json"
    call_command("export_workspace", str(path), stdout=io.StringIO())
    highest = Initiative.objects.order_by("-id").values_list("id", flat=True).first()
    call_command("flush", interactive=False, verbosity=0)
    call_command("import_workspace", str(path), stdout=io.StringIO())

    assert Initiative.objects.create(title="After the move").pk > highest


def test_import_refuses_a_database_that_already_has_a_workspace(tmp_path, workspace):
    path = tmp_path / "out.json"
    call_command(
        "export_workspace", str(path), "--with-secrets", stdout=io.StringIO(), stderr=io.StringIO()
    )
    Initiative.objects.filter(pk=Initiative.objects.first().pk).update(title="Changed since")

    with pytest.raises(CommandError, match=r"already holds a workspace: auth\.Group \(4\)"):
        call_command("import_workspace", str(path), stdout=io.StringIO())
    assert Initiative.objects.filter(title="Changed since").count() == 1

    call_command("import_workspace", str(path), "--force", stdout=io.StringIO())
    assert _dump() == workspace


def test_a_broken_file_imports_nothing(tmp_path, workspace):
    rows = list(workspace)
    alignment = next(r for r in rows if r["model"] == "roadmap.alignment")
    alignment["fields"]["key_result"] = 987654
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(rows))
    call_command("flush", interactive=False, verbosity=0)

    with pytest.raises(CommandError, match="Nothing imported"):
        call_command("import_workspace", str(path), stdout=io.StringIO())
    assert _dump() == []


def test_a_file_that_is_not_an_export_is_refused(tmp_path, db):
    path = tmp_path / "junk.json"
    path.write_text('{"not": "a list"}')
    with pytest.raises(CommandError, match="is not a workspace export"):
        call_command("import_workspace", str(path), stdout=io.StringIO())


def _secrets(rows):
    """(password hashes, token keys, webhook secrets) found in exported rows."""
    return (
        {r["fields"]["password"] for r in rows if r["model"] == "auth.user"},
        {r["pk"] for r in rows if r["model"] == "authtoken.token"}
        | {r["fields"]["digest"] for r in rows if r["model"] == "apikeys.apikey"},
        {r["fields"]["secret"] for r in rows if r["model"] == "roadmap.webhooksubscription"},
    )


def test_by_default_the_file_holds_no_password_hash_token_or_signing_secret(tmp_path, workspace):
    hashes, keys, signing = _secrets(workspace)
    assert hashes
    assert keys
    assert signing == {"s3cret-signing-key"}
    path = tmp_path / "out.json"
    out, err = io.StringIO(), io.StringIO()
    call_command("export_workspace", str(path), stdout=out, stderr=err)

    text = path.read_text()
    for secret in hashes | keys | signing:
        assert secret not in text
    rows = json.loads(text)
    assert not any(row["model"] == "authtoken.token" for row in rows)
    assert all(p.startswith("!") for p in _secrets(rows)[0])  # Django's unusable password
    (subscription,) = (r["fields"] for r in rows if r["model"] == "roadmap.webhooksubscription")
    assert (subscription["secret"], subscription["active"]) == ("", False)
    assert "Secrets left out" in out.getvalue()
    assert err.getvalue() == ""
    assert path.stat().st_mode & 0o777 == 0o600


def test_with_secrets_the_command_warns_loudly_and_the_file_is_private(tmp_path, workspace):
    path = tmp_path / "out.json"
    path.write_text("an older export, readable by all")
    path.chmod(0o644)
    err = io.StringIO()
    call_command("export_workspace", str(path), "--with-secrets", stdout=io.StringIO(), stderr=err)

    assert err.getvalue().count(f"WARNING: {path} holds password hashes, API tokens") == 2
    hashes, keys, signing = _secrets(workspace)
    text = path.read_text()
    assert all(secret in text for secret in hashes | keys | signing)
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_file_without_secrets_imports_everything_else_and_says_what_to_set_again(
    tmp_path, workspace, client
):
    path = tmp_path / "out.json"
    call_command("export_workspace", str(path), stdout=io.StringIO())
    call_command("flush", interactive=False, verbosity=0)
    out = io.StringIO()
    call_command("import_workspace", str(path), stdout=out)

    def without_secrets(rows):
        rows = [r for r in rows if r["model"] not in ("authtoken.token", "apikeys.apikey")]
        for row in rows:
            row["fields"].pop("password", None)
            if row["model"] == "roadmap.webhooksubscription":
                row["fields"].pop("secret")
                row["fields"].pop("active")
        return rows

    assert without_secrets(_dump()) == without_secrets(workspace)
    assert not Token.objects.exists()
    assert not ApiKey.objects.exists()
    assert not WebhookSubscription.objects.filter(active=True).exists()
    response = client.post("/accounts/login/", {"username": "product", "password": "priority-demo"})
    assert response.status_code == 200  # the form again: the old password is gone
    users = User.objects.count()
    assert f"{users} users have no usable password (admin, integration, marketing" in out.getvalue()
    assert "No API tokens were imported" in out.getvalue()
    assert "1 webhook subscriptions have no signing secret and are inactive" in out.getvalue()


def test_a_file_with_secrets_imports_without_advice(tmp_path, workspace):
    path = tmp_path / "out.json"
    call_command(
        "export_workspace", str(path), "--with-secrets", stdout=io.StringIO(), stderr=io.StringIO()
    )
    call_command("flush", interactive=False, verbosity=0)
    out = io.StringIO()
    call_command("import_workspace", str(path), stdout=out)
    assert "usable password" not in out.getvalue()
    assert "No API tokens" not in out.getvalue()
