import time

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from ops import backlog, heartbeats, rescore_totals
from roadmap.services.marks import SWEEP_HEARTBEAT_KEY
from tests.factories import UserFactory

OPS_KEYS = [
    backlog.MARKS_SEEN_KEY,
    heartbeats.BEAT_SENT_KEY,
    SWEEP_HEARTBEAT_KEY,
    *(heartbeats.worker_heartbeat_key(q) for q in ("celery", "webhooks")),
]


@pytest.fixture(autouse=True)
def _ops_state():
    cache.delete_many(OPS_KEYS)
    rescore_totals.forget()
    yield
    cache.delete_many(OPS_KEYS)
    rescore_totals.forget()


@pytest.fixture
def live(settings):
    """Tasks go to a broker (the in-memory one), so the worker and beat checks count."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    return settings


def alive(now: float | None = None) -> None:
    """A worker on every queue and a sweep just now."""
    now = time.time() if now is None else now
    heartbeats.worker_beat(heartbeats.expected_queues(), now)
    cache.set(SWEEP_HEARTBEAT_KEY, now)
    cache.set(heartbeats.BEAT_SENT_KEY, now)


@pytest.fixture
def integration_api(db):
    user = UserFactory(username="ivy", groups=["integration"])
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client
