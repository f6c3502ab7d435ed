"""A webhook receiver that is down gets the delivery later, once: real PostgreSQL, Redis,
worker and beat. The receiver is a threading HTTP server in this process."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import redis

from config.celery import app as celery_app
from roadmap import services
from roadmap.models import WebhookDelivery, WebhookSubscription
from tests.api.webhook_support import SECRET, verified
from tests.integration.conftest import QUEUES, wait_for

SWEEPS = {"roadmap.tasks.retry_due_webhook_deliveries", "roadmap.tasks.sweep_marked_initiatives"}


class Receiver:
    """Records every POST; answers 204."""

    def __init__(self, port: int):
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body.decode()})
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def down_port():
    """A loopback port with nothing listening (yet)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def receivers():
    started = []
    yield started
    for receiver in started:
        receiver.close()


def _worker_idle() -> bool:
    """No task running, reserved or waiting for its countdown in any worker."""
    inspect = celery_app.control.inspect(timeout=1, limit=1)
    replies = [inspect.active(), inspect.reserved(), inspect.scheduled()]
    if any(reply is None for reply in replies):
        return False
    return all(not tasks for reply in replies for tasks in reply.values())


def _one_failed_attempt(port: int):
    subscription = WebhookSubscription.objects.create(
        url=f"http://127.0.0.1:{port}/hooks/priority",
        events=["priority.changed"],
        secret=SECRET,
    )
    initiative = services.initiative_create(actor=None, title="SSO", reach=300)
    delivery = wait_for(
        lambda: WebhookDelivery.objects.filter(subscription=subscription, attempts__gte=1).first(),
        timeout=30,
        message="a first delivery attempt to the receiver that is down",
    )
    assert delivery.status == "pending"
    assert delivery.last_response_code is None
    assert delivery.last_error  # connection refused
    return delivery, initiative


def _assert_delivered_once(receivers, delivery, initiative):
    wait_for(
        lambda: WebhookDelivery.objects.get(pk=delivery.pk).status == "succeeded",
        timeout=60,
        message="the delivery to succeed once the receiver is up",
    )
    # Nothing left in flight that could send it again; then count what arrived.
    wait_for(_worker_idle, timeout=30, message="the worker to be idle")
    requests = [r for receiver in receivers for r in receiver.requests]
    assert len(requests) == 1
    (request,) = requests
    # Verified as a receiver would, with the standardwebhooks library.
    body = verified(request, SECRET)
    assert request["headers"]["webhook-id"] == f"msg_{delivery.pk}"
    assert body["type"] == "priority.changed"
    assert [i["id"] for i in body["data"]["initiatives"]] == [initiative.pk]
    delivery.refresh_from_db()
    assert delivery.attempts >= 2
    assert delivery.delivered_at is not None
    assert delivery.next_attempt_at is None


def test_a_receiver_that_is_down_gets_the_delivery_later_once(real_celery, down_port, receivers):
    delivery, initiative = _one_failed_attempt(down_port)

    receivers.append(Receiver(down_port))

    _assert_delivered_once(receivers, delivery, initiative)


def test_a_retry_lost_with_a_killed_worker_is_sent_by_the_sweep_once(
    real_celery, down_port, receivers
):
    delivery, initiative = _one_failed_attempt(down_port)
    # The retry's countdown message is held by the worker: SIGKILL loses it
    # (with late acks it would only come back after the visibility timeout).
    real_celery.kill()
    assert WebhookDelivery.objects.get(pk=delivery.pk).status == "pending"
    # No message left that could send it: only the sweep, reading the row, can.
    # (Beat sends a sweep every second; one sent just before the kill may wait
    # in the queue, and that is the sweep itself.)
    broker = redis.Redis.from_url(celery_app.conf.broker_url)
    queued = [
        json.loads(message)["headers"]["task"]
        for queue in QUEUES
        for message in broker.lrange(queue, 0, -1)
    ]
    assert set(queued) <= SWEEPS, queued
    receivers.append(Receiver(down_port))

    real_celery.start()

    _assert_delivered_once(receivers, delivery, initiative)
