import contextlib
import hashlib
import hmac
import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError

from roadmap import tasks, webhooks
from roadmap.models import Initiative, ScoreSnapshot, WebhookDelivery, WebhookSubscription
from roadmap.services import initiatives_rescore_marked
from roadmap.webhooks import transport
from tests.factories import InitiativeFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhooks/"


class Receiver:
    """A local HTTP(S) server that records what it is sent and answers `status`."""

    def __init__(self, tls: ssl.SSLContext | None = None, host: str = "127.0.0.1"):
        self.requests = []
        self.status = 204
        self.headers = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body.decode()}
                )
                self.send_response(receiver.status)
                for name, value in receiver.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        scheme = "https" if tls is not None else "http"
        self.url = f"{scheme}://{host}:{self.port}/hooks/priority?x=1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def allow_private(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True


def _subscription(url, **over):
    fields = {"events": ["priority.changed"], "secret": "s3cret-s3cret-s3cret", **over}
    return WebhookSubscription.objects.create(url=url, **fields)


def _verify(request, secret):
    headers = request["headers"]
    delivery_id, timestamp = headers["Priority-Webhook-Id"], headers["Priority-Webhook-Timestamp"]
    signed = f"{delivery_id}.{timestamp}.{request['body']}"
    expected = hmac.new(secret.encode(), signed.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers["Priority-Webhook-Signature"], f"v1={expected}")


def _one_delivery(subscription, django_capture_on_commit_callbacks, *, execute=True):
    initiative = InitiativeFactory(title="SSO")
    initiatives_rescore_marked()
    snapshot = ScoreSnapshot.objects.get(initiative=initiative)
    with django_capture_on_commit_callbacks(execute=execute):
        queued = webhooks.priority_changed_enqueue(snapshot_ids=[snapshot.pk])
    assert queued == 1
    return WebhookDelivery.objects.get(subscription=subscription), initiative


# --- Subscriptions over the API ----------------------------------------------


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("http://127.0.0.1:8000/hook", "127.0.0.1"),
        ("http://localhost/hook", "127.0.0.1"),
        ("http://10.1.2.3/hook", "10.1.2.3"),
        ("http://192.168.0.10/hook", "192.168.0.10"),
        ("http://169.254.169.254/latest/meta-data", "169.254.169.254"),
        ("http://[::1]/hook", "::1"),
        ("http://[::ffff:127.0.0.1]/hook", "::ffff:127.0.0.1"),
        ("http://0.0.0.0/hook", "0.0.0.0"),  # noqa: S104
        ("http://224.0.0.1/hook", "224.0.0.1"),
        ("http://240.0.0.1/hook", "240.0.0.1"),
    ],
)
def test_private_and_local_targets_are_refused_at_save_time(product, url, address):
    response = product.post(URL, {"url": url, "events": ["priority.changed"]}, format="json")

    assert response.status_code == 400
    (message,) = response.json()["url"]
    assert f"resolves to {address}, a loopback, private, link-local" in message
    assert not WebhookSubscription.objects.exists()


def test_private_targets_are_allowed_when_the_setting_says_so(product, allow_private):
    response = product.post(
        URL, {"url": "http://127.0.0.1:9/hook", "events": ["priority.changed"]}, format="json"
    )

    assert response.status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://93.184.215.14/x", "events": ["priority.changed"]}, "url"),
        ({"url": "https://93.184.215.14/x", "events": ["initiative.deleted"]}, "events"),
        ({"url": "https://93.184.215.14/x", "events": []}, "events"),
        (
            {"url": "https://93.184.215.14/x", "events": ["priority.changed"], "secret": "short"},
            "secret",
        ),
    ],
)
def test_subscription_validation(product, body, field):
    response = product.post(URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()


def test_secret_is_generated_and_shown_once(product):
    created = product.post(
        URL, {"url": "https://93.184.215.14/hook", "events": ["priority.changed"]}, format="json"
    )

    assert created.status_code == 201
    secret = created.json()["secret"]
    assert len(secret) >= 32
    assert WebhookSubscription.objects.get().secret == secret
    fetched = product.get(f"{URL}{created.json()['id']}/").json()
    assert "secret" not in fetched
    assert "secret" not in product.get(URL).json()["results"][0]


def test_a_given_secret_is_kept_and_subscriptions_can_be_changed_and_deleted(product):
    created = product.post(
        URL,
        {
            "url": "https://93.184.215.14/hook",
            "events": ["priority.changed"],
            "secret": "a-secret-of-my-own-choosing",
        },
        format="json",
    ).json()
    url = f"{URL}{created['id']}/"

    assert created["secret"] == "a-secret-of-my-own-choosing"
    assert product.patch(url, {"active": False}, format="json").json()["active"] is False
    assert product.patch(url, {"url": "http://10.0.0.1/"}, format="json").status_code == 400
    assert product.delete(url).status_code == 204
    assert not WebhookSubscription.objects.exists()


def test_integration_sees_only_its_own_subscriptions_and_marketing_none(
    integration, integration_user, marketing, product
):
    mine = _subscription("https://93.184.215.14/a", created_by=integration_user)
    theirs = _subscription("https://93.184.215.14/b", created_by=UserFactory())

    assert [r["id"] for r in integration.get(URL).json()["results"]] == [mine.pk]
    assert integration.get(f"{URL}{theirs.pk}/").status_code == 404
    assert {r["id"] for r in product.get(URL).json()["results"]} == {mine.pk, theirs.pk}
    assert marketing.get(URL).status_code == 403


# --- Fan-out and delivery ----------------------------------------------------


def test_enqueueing_the_same_rescore_twice_queues_its_deliveries_once(
    django_capture_on_commit_callbacks,
):
    _subscription("https://93.184.215.14/a")
    InitiativeFactory(reach=10)
    initiatives_rescore_marked()
    ids = list(ScoreSnapshot.objects.values_list("id", flat=True))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = webhooks.priority_changed_enqueue(snapshot_ids=ids)
        again = webhooks.priority_changed_enqueue(snapshot_ids=ids)

    assert (first, again) == (1, 0)
    assert len(callbacks) == 1
    assert WebhookDelivery.objects.count() == 1


def test_enqueue_makes_one_delivery_per_active_subscription_with_the_changes(
    django_capture_on_commit_callbacks,
):
    active = _subscription("https://93.184.215.14/a")
    _subscription("https://93.184.215.14/b", active=False)
    _subscription("https://93.184.215.14/c", events=[])
    first, second = InitiativeFactory(reach=10), InitiativeFactory(reach=20)
    initiatives_rescore_marked()
    ids = list(ScoreSnapshot.objects.values_list("id", flat=True))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        queued = webhooks.priority_changed_enqueue(snapshot_ids=ids)

    assert queued == 1
    assert len(callbacks) == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.subscription == active
    assert delivery.status == "pending"
    assert delivery.payload["event"] == "priority.changed"
    assert delivery.payload["initiatives"] == [
        {
            "id": second.pk,
            "title": second.title,
            "priority_score": pytest.approx(16.0),
            "previous_priority_score": None,
            "rank": 1,
            "previous_rank": None,
        },
        {
            "id": first.pk,
            "title": first.title,
            "priority_score": pytest.approx(8.0),
            "previous_priority_score": None,
            "rank": 2,
            "previous_rank": None,
        },
    ]


def test_delivery_is_signed_and_recorded(
    receiver, allow_private, django_capture_on_commit_callbacks
):
    subscription = _subscription(receiver.url)

    delivery, initiative = _one_delivery(subscription, django_capture_on_commit_callbacks)

    (request,) = receiver.requests
    assert request["path"] == "/hooks/priority?x=1"
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["headers"]["Host"] == f"127.0.0.1:{receiver.port}"
    assert request["headers"]["Priority-Webhook-Id"] == str(delivery.pk)
    assert _verify(request, "s3cret-s3cret-s3cret")
    assert not _verify(request, "another-secret")
    body = json.loads(request["body"])
    assert body["initiatives"][0]["id"] == initiative.pk
    delivery.refresh_from_db()
    assert delivery.status == "succeeded"
    assert delivery.attempts == 1
    assert delivery.last_response_code == 204
    assert delivery.delivered_at is not None


def test_a_succeeded_delivery_is_not_sent_again(
    receiver, allow_private, django_capture_on_commit_callbacks
):
    delivery, _ = _one_delivery(_subscription(receiver.url), django_capture_on_commit_callbacks)

    assert tasks.deliver_webhook.delay(delivery.pk).get() == "succeeded"

    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 1


def test_a_failed_attempt_is_recorded_and_retried_with_exponential_backoff(
    receiver, allow_private, django_capture_on_commit_callbacks, monkeypatch
):
    receiver.status = 500
    delivery, _ = _one_delivery(_subscription(receiver.url), django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert delivery.status == "pending"
    assert delivery.attempts == 1
    assert delivery.last_response_code == 500
    assert delivery.last_error == "ok"
    assert delivery.next_attempt_at is not None

    class Retry(Exception):
        pass

    countdowns = []

    def fake_retry(**kwargs):
        countdowns.append(kwargs["countdown"])
        return Retry()

    monkeypatch.setattr(tasks.deliver_webhook, "retry", fake_retry)
    tasks.deliver_webhook.push_request(is_eager=False)
    try:
        for _ in range(7):
            with contextlib.suppress(Retry):
                tasks.deliver_webhook.run(delivery.pk)
    finally:
        tasks.deliver_webhook.pop_request()

    assert countdowns == [4, 8, 16, 32, 64, 128]
    delivery.refresh_from_db()
    assert delivery.attempts == 8
    assert delivery.status == "failed"
    assert delivery.next_attempt_at is None
    assert len(receiver.requests) == 8


def test_redirects_are_not_followed(receiver, allow_private, django_capture_on_commit_callbacks):
    receiver.status = 302
    receiver.headers = {"Location": "http://169.254.169.254/latest/meta-data"}

    delivery, _ = _one_delivery(_subscription(receiver.url), django_capture_on_commit_callbacks)

    delivery.refresh_from_db()
    assert len(receiver.requests) == 1
    assert delivery.status == "pending"
    assert delivery.last_response_code == 302
    assert delivery.last_error == "Redirects are not followed."


def test_a_private_target_is_refused_at_connect_time(receiver, django_capture_on_commit_callbacks):
    # Saved while allowed (or before the DNS answer changed); refused when sending.
    delivery, _ = _one_delivery(_subscription(receiver.url), django_capture_on_commit_callbacks)

    delivery.refresh_from_db()
    assert receiver.requests == []
    assert delivery.status == "failed"
    assert "resolves to 127.0.0.1" in delivery.last_error


def test_every_resolved_address_is_checked(monkeypatch):
    monkeypatch.setattr(transport, "_resolve", lambda host, port: ["93.184.215.14", "10.0.0.7"])

    with pytest.raises(ValidationError, match=r"resolves to 10\.0\.0\.7"):
        webhooks.target_check("https://hooks.example.test/x")


def test_the_connection_goes_to_the_checked_address_keeping_the_host_name(
    receiver, allow_private, monkeypatch, django_capture_on_commit_callbacks
):
    # A name whose answer could change between check and connect: the sender
    # connects to the address it checked and names the host in the Host header.
    resolved = []

    def resolve(host, port):
        resolved.append(host)
        return ["127.0.0.1"]

    monkeypatch.setattr(transport, "_resolve", resolve)
    subscription = _subscription(f"http://hooks.example.test:{receiver.port}/in")

    delivery, _ = _one_delivery(subscription, django_capture_on_commit_callbacks)

    (request,) = receiver.requests
    assert request["headers"]["Host"] == f"hooks.example.test:{receiver.port}"
    assert resolved == ["hooks.example.test"]
    delivery.refresh_from_db()
    assert delivery.status == "succeeded"


def test_deliveries_are_readable_over_the_api(
    product, receiver, allow_private, django_capture_on_commit_callbacks
):
    subscription = _subscription(receiver.url)
    _one_delivery(subscription, django_capture_on_commit_callbacks)

    rows = product.get(f"{URL}{subscription.pk}/deliveries/").json()["results"]

    assert len(rows) == 1
    assert rows[0]["status"] == "succeeded"
    assert rows[0]["event"] == "priority.changed"
    assert rows[0]["attempts"] == 1
    assert product.get(f"{URL}999999/deliveries/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_an_api_edit_that_moves_priorities_sends_a_signed_webhook(product, receiver, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    created = product.post(
        URL, {"url": receiver.url, "events": ["priority.changed"]}, format="json"
    )
    secret = created.json()["secret"]

    initiative = product.post(
        "/api/v1/initiatives/", {"title": "Audit log", "reach": 300}, format="json"
    ).json()

    (request,) = receiver.requests
    assert _verify(request, secret)
    body = json.loads(request["body"])
    assert body["initiatives"] == [
        {
            "id": initiative["id"],
            "title": "Audit log",
            "priority_score": initiative["priority_score"],
            "previous_priority_score": None,
            "rank": 1,
            "previous_rank": None,
        }
    ]
    assert Initiative.objects.count() == 1


# --- Slow receivers and TLS --------------------------------------------------


class Dribbler:
    """A TCP server that takes the request, sends `prefix`, then `dribble` a byte per `pace` s.

    Each byte arrives well inside any socket timeout, so only a deadline over
    the whole attempt ends it. It hangs up once it has sent everything (or
    after `silence` seconds when there is nothing to dribble).
    """

    def __init__(self, *, scheme="http", prefix=b"", dribble=b"", pace=0.25, silence=8.0):
        self.sent = 0
        self.stop = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"{scheme}://127.0.0.1:{self.listener.getsockname()[1]}/hooks/priority"
        self.thread = threading.Thread(
            target=self._serve, args=(prefix, dribble, pace, silence), daemon=True
        )
        self.thread.start()

    def _serve(self, prefix, dribble, pace, silence):
        with contextlib.suppress(OSError):
            conn, _ = self.listener.accept()
            with conn:
                conn.recv(65536)
                conn.sendall(prefix)
                if not dribble:
                    self.stop.wait(silence)
                for byte in dribble:
                    if self.stop.wait(pace):
                        return
                    conn.sendall(bytes([byte]))
                    self.sent += 1

    def close(self):
        self.stop.set()
        self.listener.close()
        self.thread.join(timeout=10)


SLOW_ANSWERS = {
    "status line and headers": {
        "dribble": b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Slow: " + b"z" * 40 + b"\r\n\r\n",
    },
    "body": {
        "prefix": b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 100\r\n\r\n",
        "dribble": b"x" * 100,
    },
    "nothing at all": {},
    "tls handshake": {
        "scheme": "https",
        # A handshake record header announcing 16 KB, then its bytes one by one.
        "prefix": b"\x16\x03\x03\x40\x00",
        "dribble": b"\x00" * 60,
    },
}


@pytest.mark.parametrize("answer", SLOW_ANSWERS.values(), ids=SLOW_ANSWERS.keys())
def test_a_receiver_that_answers_slowly_fails_the_attempt_at_the_deadline(
    answer, allow_private, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_DELIVERY_DEADLINE_SECONDS = 1.0
    receiver = Dribbler(**answer)
    try:
        delivery, _ = _one_delivery(
            _subscription(receiver.url), django_capture_on_commit_callbacks, execute=False
        )
        started = time.monotonic()
        outcome = webhooks.delivery_attempt(delivery_id=delivery.pk)
        elapsed = time.monotonic() - started
    finally:
        receiver.close()

    # About the deadline: not a per-read timeout (5 s), nor a byte's pace times
    # the bytes (10-25 s), and not a success for a receiver that took 10 s.
    assert 1.0 <= elapsed < 1.8, elapsed
    if answer.get("dribble"):
        assert receiver.sent >= 2  # it did answer, a byte at a time
    assert (outcome.status, outcome.attempts, outcome.retry_in) == ("pending", 1, 2)
    delivery.refresh_from_db()
    assert delivery.last_response_code is None
    assert delivery.last_error == "Deadline of 1 s exceeded."
    assert delivery.next_attempt_at is not None


def test_a_receiver_that_answers_within_the_deadline_is_not_cut_off(
    allow_private, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_DELIVERY_DEADLINE_SECONDS = 1.5
    receiver = Dribbler(prefix=b"HTTP/1.1 204 No Content\r\n", dribble=b"\r\n", pace=0.3)
    try:
        delivery, _ = _one_delivery(
            _subscription(receiver.url), django_capture_on_commit_callbacks, execute=False
        )
        outcome = webhooks.delivery_attempt(delivery_id=delivery.pk)
    finally:
        receiver.close()

    assert outcome.status == "succeeded"
    delivery.refresh_from_db()
    assert delivery.last_response_code == 204


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate for hooks.example.test: (cert file, key file)."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(  # noqa: S603
        [  # noqa: S607
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=hooks.example.test",
            "-addext",
            "subjectAltName=DNS:hooks.example.test",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def tls_receiver(certificate, allow_private, monkeypatch):
    """An HTTPS receiver on loopback that hooks.example.test resolves to."""
    cert, key = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    monkeypatch.setattr(transport, "_resolve", lambda host, port: ["127.0.0.1"])
    server = Receiver(tls=context, host="hooks.example.test")
    yield server
    server.close()


def test_an_https_receiver_whose_certificate_is_not_trusted_is_not_sent_anything(
    tls_receiver, django_capture_on_commit_callbacks
):
    delivery, _ = _one_delivery(_subscription(tls_receiver.url), django_capture_on_commit_callbacks)

    delivery.refresh_from_db()
    assert tls_receiver.requests == []
    assert delivery.status == "pending"
    assert "CERTIFICATE_VERIFY_FAILED" in delivery.last_error


def test_an_https_receiver_is_checked_against_the_host_name_not_the_address(
    tls_receiver, certificate, monkeypatch, django_capture_on_commit_callbacks
):
    trusting = ssl.create_default_context(cafile=str(certificate[0]))
    monkeypatch.setattr(transport, "_tls_context", lambda: trusting)
    named = _subscription(tls_receiver.url)
    misnamed = _subscription(tls_receiver.url.replace("hooks.", "other."))
    InitiativeFactory(title="SSO")
    initiatives_rescore_marked()

    with django_capture_on_commit_callbacks(execute=True):
        webhooks.priority_changed_enqueue(
            snapshot_ids=list(ScoreSnapshot.objects.values_list("id", flat=True))
        )

    (request,) = tls_receiver.requests
    assert request["headers"]["Host"] == f"hooks.example.test:{tls_receiver.port}"
    assert WebhookDelivery.objects.get(subscription=named).status == "succeeded"
    refused = WebhookDelivery.objects.get(subscription=misnamed)
    assert refused.status == "pending"
    assert "Hostname mismatch" in refused.last_error
