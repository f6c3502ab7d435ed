"""With a real worker and beat: /readyz sees them, and a request's id reaches the worker's log."""

import uuid

import pytest
from django.test import Client

from ops import heartbeats
from tests.factories import InitiativeFactory, UserFactory

from .conftest import wait_for

pytestmark = pytest.mark.integration


def test_readyz_sees_a_worker_on_each_queue_and_beat(real_celery, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    wait_for(
        lambda: all(age is not None and age < 10 for age in heartbeats.worker_ages().values()),
        message="a heartbeat from each queue's worker",
    )
    wait_for(lambda: heartbeats.sweep_age() is not None, message="the sweep to run")
    response = Client().get("/readyz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["checks"]["worker"]["last_seen_seconds_ago"].keys() == {"celery", "webhooks"}
    assert body["checks"]["beat"]["ok"] is True


def test_the_rescore_a_request_enqueues_logs_the_requests_id_in_the_worker(real_celery):
    user = UserFactory(username="ivy-ops", groups=["integration"])
    client = Client()
    client.force_login(user)
    initiative = InitiativeFactory()
    request_id = f"itest-{uuid.uuid4().hex[:12]}"
    response = client.post(
        "/api/v1/evidence/",
        {"source": "support", "text": "Export is slow", "initiative": initiative.pk},
        content_type="application/json",
        HTTP_X_REQUEST_ID=request_id,
    )
    assert response.status_code == 201
    assert response["X-Request-ID"] == request_id
    log = real_celery.log("celery")
    line = f"priority.task [{request_id}] task roadmap.tasks.recompute_priorities SUCCESS"
    wait_for(lambda: line in log.read_text(errors="replace"), message="the task's log line")
