"""A webhook receiver that answers a byte every 2.5 s: real PostgreSQL, Redis and one
worker per queue, as in production. The rescores go on meanwhile, and each
attempt to that receiver ends, failed, at the delivery deadline."""

import socketserver
import threading
import time

import pytest

from roadmap import services
from roadmap.models import Initiative, WebhookDelivery, WebhookSubscription
from tests.integration.conftest import wait_for
from tests.integration.test_webhook_delivery import _worker_idle

PACE = 2.5  # seconds between two bytes of the answer
ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"  # all of it would take 97 s
# More than the webhooks worker's two processes: were deliveries on the rescore
# worker's queue, they would take every process it has.
SUBSCRIPTIONS = 3


class Dribbler:
    """Reads each request whole, then answers it a byte every PACE seconds."""

    def __init__(self):
        self.arrivals: list[float] = []  # time.monotonic() at each complete request
        self.sent: list[int] = []  # bytes sent on each connection so far
        self.open = 0
        self.stop = threading.Event()
        dribbler = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                length = 0
                for line in iter(self.rfile.readline, b"\r\n"):
                    if not line:
                        return
                    name, _, value = line.decode("latin-1").partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                self.rfile.read(length)
                index = len(dribbler.arrivals)
                dribbler.arrivals.append(time.monotonic())
                dribbler.sent.append(0)
                dribbler.open += 1
                try:
                    for byte in ANSWER:
                        if dribbler.stop.wait(PACE):
                            return
                        self.wfile.write(bytes([byte]))
                        dribbler.sent[index] += 1
                except OSError:
                    return  # the sender hung up
                finally:
                    dribbler.open -= 1

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/priority"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def dribbler():
    server = Dribbler()
    yield server
    # Leave nothing sending when the test database is flushed: the receiver
    # goes away and the deliveries still pending give up on an inactive
    # subscription at their next attempt.
    WebhookSubscription.objects.update(active=False)
    server.close()
    wait_for(
        lambda: not WebhookDelivery.objects.filter(status="pending").exists(),
        timeout=60,
        message="the pending deliveries to give up",
    )
    wait_for(_worker_idle, timeout=30, message="the workers to be idle")


def _scored(initiative_id) -> bool:
    return not Initiative.objects.filter(pk=initiative_id, needs_rescore=True).exists()


def test_a_dribbling_receiver_holds_no_rescore_and_is_cut_off_at_the_deadline(
    real_celery, dribbler
):
    deadline = float(real_celery.env["WEBHOOK_DELIVERY_DEADLINE_SECONDS"])
    other = services.initiative_create(actor=None, title="Audit log", reach=10)
    wait_for(lambda: _scored(other.pk), message="the first initiative's score")
    for n in range(SUBSCRIPTIONS):
        WebhookSubscription.objects.create(
            url=dribbler.url, events=["priority.changed"], secret=f"slow-receiver-secret-{n}"
        )

    # A priority change: its deliveries go to the receiver that dribbles.
    services.initiative_create(actor=None, title="SSO", reach=300)
    wait_for(lambda: dribbler.open >= 2, message="two deliveries in flight to the receiver")

    # An unrelated edit while they are in flight is rescored all the same.
    started = time.monotonic()
    services.initiative_update(actor=None, initiative=other, data={"reach": 20})
    wait_for(lambda: _scored(other.pk), timeout=5, message="the edit to be rescored")
    latency = time.monotonic() - started
    assert Initiative.objects.get(pk=other.pk).priority_score == pytest.approx(16.0)
    assert dribbler.open >= 2  # the receiver was still dribbling throughout
    assert not WebhookDelivery.objects.filter(attempts__gte=1).exists()

    # The first attempt to the receiver fails at the deadline and is retried.
    failed = wait_for(
        lambda: WebhookDelivery.objects.filter(attempts__gte=1).first(),
        timeout=deadline + 5,
        message="the first attempt to the dribbling receiver to end",
    )
    ended = time.monotonic() - dribbler.arrivals[0]
    print(
        f"rescore during the dribble: {latency:.2f} s; first attempt ended {ended:.2f} s after"
        f" its request arrived (deadline {deadline:g} s); bytes sent per attempt: {dribbler.sent}"
    )
    assert failed.last_error == f"Deadline of {deadline:g} s exceeded."
    assert failed.last_response_code is None
    assert failed.status == "pending"
    assert failed.next_attempt_at is not None
    assert deadline - 1 <= ended <= deadline + 2
    assert max(dribbler.sent) >= 2  # it answered, a byte at a time; no read ever timed out
