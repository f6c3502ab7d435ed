"""Two requests with the same Idempotency-Key at once: only the first runs.

Real threads and transactions (transactional_db); on PostgreSQL when DATABASE_URL
names one, else SQLite. The first request is held inside its view, after its
claim is committed, until the second has had its answer.
"""

import threading

import pytest
from django.db import connections
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from roadmap import services
from roadmap.models import Evidence

pytestmark = pytest.mark.django_db(transaction=True)

BODY = {"source": "support", "text": "Export is slow"}


def test_a_duplicate_sent_while_the_first_runs_gets_409_and_the_first_runs_once(
    integration_user, monkeypatch
):
    token = Token.objects.create(user=integration_user)
    inside, release = threading.Event(), threading.Event()
    ingest = services.evidence_ingest
    runs = []

    def held_ingest(**kwargs):
        runs.append(1)
        inside.set()
        assert release.wait(timeout=30)
        return ingest(**kwargs)

    monkeypatch.setattr("roadmap.services.evidence_ingest", held_ingest)

    def post():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client.post("/api/v1/evidence/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="dup")

    answers = {}

    def first():
        try:
            answers["first"] = post()
        finally:
            connections.close_all()

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert inside.wait(timeout=30)
        duplicate = post()
    finally:
        release.set()
        thread.join(timeout=30)
    replay = post()

    assert duplicate.status_code == 409
    assert answers["first"].status_code == 201
    assert replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.content == answers["first"].content
    assert len(runs) == 1
    assert Evidence.objects.count() == 1
