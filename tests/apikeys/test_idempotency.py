"""Idempotency-Key on POST under /api/: replay, mismatch, per account, concurrency, expiry."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from apikeys import idempotency
from apikeys.idempotency import LOCK_TIMEOUT, idempotency_purge_expired
from apikeys.models import IdempotencyRecord
from apikeys.tasks import purge_idempotency_records
from roadmap.models import Evidence, Segment

pytestmark = pytest.mark.django_db

EVIDENCE = {"source": "support", "text": "Export is slow"}


def _post(client, body, key="key-1", url="/api/v1/evidence/"):
    return client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_the_same_key_and_body_replays_the_first_answer_and_creates_nothing(integration):
    first = _post(integration, EVIDENCE)
    again = _post(integration, EVIDENCE)

    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]
    assert again["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert Evidence.objects.count() == 1


def test_a_replay_keeps_the_location_header(product):
    first = _post(product, {"name": "SMB", "weight": 2}, url="/api/v1/segments/")
    again = _post(product, {"name": "SMB", "weight": 2}, url="/api/v1/segments/")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert Segment.objects.count() == 1
    if first.has_header("Location"):
        assert again["Location"] == first["Location"]


def test_json_key_order_and_spacing_do_not_make_another_request(integration):
    first = integration.post(
        "/api/v1/evidence/",
        '{"source": "support", "text": "Export is slow"}',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    again = integration.post(
        "/api/v1/evidence/",
        '{"text":"Export is slow","source":"support"}',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k",
    )

    assert again["Idempotent-Replayed"] == "true"
    assert again.content == first.content


def test_the_same_key_with_another_body_or_path_answers_422(integration, product):
    _post(integration, EVIDENCE)

    other_body = _post(integration, {**EVIDENCE, "text": "Export is very slow"})
    other_path = _post(product, {"name": "SMB"}, url="/api/v1/segments/", key="p")
    other_path_again = _post(product, EVIDENCE, key="p")

    assert other_body.status_code == 422
    assert "different request" in str(other_body.json())
    assert other_path.status_code == 201
    assert other_path_again.status_code == 422
    assert Evidence.objects.count() == 1


def test_keys_are_kept_per_account(integration, marketing):
    mine = _post(integration, EVIDENCE)
    theirs = _post(marketing, {**EVIDENCE, "text": "Another account"})

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert not theirs.has_header("Idempotent-Replayed")
    assert Evidence.objects.count() == 2


def _fingerprint(body: bytes) -> str:
    return idempotency.fingerprint(
        method="POST",
        path="/api/v1/evidence/",
        query="",
        content_type="application/json",
        body=body,
    )


def _claimed(user, key, *, started):
    return IdempotencyRecord.objects.create(
        user=user,
        key=key,
        fingerprint=_fingerprint(b'{"source": "support", "text": "Export is slow"}'),
        method="POST",
        path="/api/v1/evidence/",
        created_at=started,
        expires_at=started + timedelta(hours=24),
    )


def test_a_request_still_running_with_the_key_gets_409_and_runs_nothing(
    integration_user, integration
):
    _claimed(integration_user, "busy", started=timezone.now())

    response = _post(integration, EVIDENCE, key="busy")

    assert response.status_code == 409
    assert response["Retry-After"] == "1"
    assert "still being processed" in str(response.json())
    assert Evidence.objects.count() == 0


def test_a_claim_abandoned_by_a_dead_process_is_taken_over(integration_user, integration):
    _claimed(integration_user, "orphan", started=timezone.now() - LOCK_TIMEOUT)

    response = _post(integration, EVIDENCE, key="orphan")

    assert response.status_code == 201
    assert Evidence.objects.count() == 1
    assert IdempotencyRecord.objects.get().status_code == 201


def test_final_4xx_answers_are_stored_and_replayed(integration):
    bad = _post(integration, {"source": "nope", "text": "x"})
    again = _post(integration, {"source": "nope", "text": "x"})

    assert bad.status_code == again.status_code == 400
    assert again["Idempotent-Replayed"] == "true"
    assert again.content == bad.content


def test_a_403_is_not_stored_so_a_retry_after_a_role_change_runs(marketing_user, marketing):
    forbidden = _post(marketing, {"name": "SMB"}, url="/api/v1/segments/", key="r")
    marketing_user.groups.add(Group.objects.get_or_create(name="product")[0])
    allowed = _post(marketing, {"name": "SMB"}, url="/api/v1/segments/", key="r")

    assert (forbidden.status_code, allowed.status_code) == (403, 201)
    assert Segment.objects.count() == 1


def test_a_5xx_is_not_stored_and_the_retry_runs(integration, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("database fell over")

    integration.raise_request_exception = False
    monkeypatch.setattr("roadmap.services.evidence_ingest", broken)
    failed = _post(integration, EVIDENCE, key="5xx")
    monkeypatch.undo()
    retried = _post(integration, EVIDENCE, key="5xx")

    assert failed.status_code == 500
    assert retried.status_code == 201
    assert not retried.has_header("Idempotent-Replayed")
    assert Evidence.objects.count() == 1


def test_an_invalid_key_answers_400(integration):
    response = _post(integration, EVIDENCE, key="has space")

    assert response.status_code == 400
    assert "Idempotency-Key" in str(response.json())
    assert Evidence.objects.count() == 0


def test_without_the_header_every_post_runs(integration):
    integration.post("/api/v1/evidence/", EVIDENCE, format="json")
    integration.post("/api/v1/evidence/", EVIDENCE, format="json")

    assert Evidence.objects.count() == 2
    assert not IdempotencyRecord.objects.exists()


def test_an_unauthenticated_post_is_refused_without_a_record(anon):
    response = _post(anon, EVIDENCE)

    assert response.status_code == 401
    assert not IdempotencyRecord.objects.exists()


def test_a_bearer_key_keeps_its_accounts_idempotency_keys(make_key, integration_user, bearer):
    _, raw = make_key(integration_user, scopes=["ingest"])

    first = _post(bearer(raw), EVIDENCE)
    again = _post(bearer(raw), EVIDENCE)

    assert again["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert Evidence.objects.count() == 1


def test_after_24_hours_the_key_runs_again(integration):
    _post(integration, EVIDENCE)
    IdempotencyRecord.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    again = _post(integration, EVIDENCE)

    assert again.status_code == 201
    assert not again.has_header("Idempotent-Replayed")
    assert Evidence.objects.count() == 2


def test_the_purge_drops_expired_answers_only(integration_user):
    now = timezone.now()
    _claimed(integration_user, "old", started=now - timedelta(hours=25))
    _claimed(integration_user, "new", started=now)

    assert purge_idempotency_records.delay().get() == 1
    assert idempotency_purge_expired() == 0
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


def _upload(client, csv: str, key: str):
    upload = SimpleUploadedFile("feedback.csv", csv.encode(), content_type="text/csv")
    return client.post(
        "/api/v1/imports/evidence/",
        {"file": upload, "map": ["source:Channel", "text:Comment"]},
        format="multipart",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def test_a_multipart_upload_is_replayed_by_its_file_and_fields(integration):
    csv = "Channel,Comment\nsupport,Export is slow\n"

    first = _upload(integration, csv, "upload-1")
    again = _upload(integration, csv, "upload-1")
    other_file = _upload(integration, csv + "nps,Love it\n", "upload-1")

    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert other_file.status_code == 422
    assert Evidence.objects.count() == 1


def test_a_csv_body_too_big_for_memory_is_hashed_as_it_streams_and_replayed(integration, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100  # request.body would refuse this body
    csv = "source,text\n" + "".join(f"support,item {n}\n" for n in range(50))

    def post(body):
        return integration.post(
            "/api/v1/imports/evidence/",
            data=body.encode(),
            content_type="text/csv",
            HTTP_IDEMPOTENCY_KEY="big",
        )

    first = post(csv)
    again = post(csv)
    other = post(csv + "support,one more\n")

    assert first.status_code == 200, first.content
    assert first.json()["created"] == 50
    assert again["Idempotent-Replayed"] == "true"
    assert other.status_code == 422
    assert Evidence.objects.count() == 50


def test_a_large_multipart_upload_is_told_apart_by_its_content(integration, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 100  # the upload goes to a temporary file
    csv = "Channel,Comment\n" + "".join(f"support,item {n}\n" for n in range(50))

    first = _upload(integration, csv, "big-upload")
    again = _upload(integration, csv, "big-upload")
    other = _upload(integration, csv + "nps,one more\n", "big-upload")

    assert first.status_code == 200, first.content
    assert again["Idempotent-Replayed"] == "true"
    assert other.status_code == 422
    assert Evidence.objects.count() == 50
