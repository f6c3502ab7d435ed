"""Webhook transport: the SSRF guard at connect time, redirects, the total deadline, TLS."""

import contextlib
import shutil
import socket
import ssl
import subprocess
import threading
import time

import pytest
from django.core.exceptions import ValidationError

from roadmap import webhooks
from roadmap.models import ScoreSnapshot, WebhookDelivery
from roadmap.services import initiatives_rescore_marked
from roadmap.webhooks import transport
from tests.api.webhook_support import (
    Receiver,
    one_delivery,
    subscription_for,
)
from tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db


def test_redirects_are_not_followed(receiver, allow_private, django_capture_on_commit_callbacks):
    receiver.status = 302
    receiver.headers = {"Location": "http://169.254.169.254/latest/meta-data"}

    delivery, _ = one_delivery(subscription_for(receiver.url), django_capture_on_commit_callbacks)

    delivery.refresh_from_db()
    assert len(receiver.requests) == 1
    assert delivery.status == "pending"
    assert delivery.last_response_code == 302
    assert delivery.last_error == "Redirects are not followed."


def test_a_private_target_is_refused_at_connect_time(receiver, django_capture_on_commit_callbacks):
    # Saved while allowed (or before the DNS answer changed); refused when sending.
    delivery, _ = one_delivery(subscription_for(receiver.url), django_capture_on_commit_callbacks)

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
    subscription = subscription_for(f"http://hooks.example.test:{receiver.port}/in")

    delivery, _ = one_delivery(subscription, django_capture_on_commit_callbacks)

    (request,) = receiver.requests
    assert request["headers"]["Host"] == f"hooks.example.test:{receiver.port}"
    assert resolved == ["hooks.example.test"]
    delivery.refresh_from_db()
    assert delivery.status == "succeeded"


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
        delivery, _ = one_delivery(
            subscription_for(receiver.url), django_capture_on_commit_callbacks, execute=False
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
    assert (outcome.status, outcome.attempts) == ("pending", 1)
    assert 4 <= outcome.retry_in <= 6  # the first wait of the schedule, 5 s ± 20 %
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
        delivery, _ = one_delivery(
            subscription_for(receiver.url), django_capture_on_commit_callbacks, execute=False
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
    delivery, _ = one_delivery(
        subscription_for(tls_receiver.url), django_capture_on_commit_callbacks
    )

    delivery.refresh_from_db()
    assert tls_receiver.requests == []
    assert delivery.status == "pending"
    assert "CERTIFICATE_VERIFY_FAILED" in delivery.last_error


def test_an_https_receiver_is_checked_against_the_host_name_not_the_address(
    tls_receiver, certificate, monkeypatch, django_capture_on_commit_callbacks
):
    trusting = ssl.create_default_context(cafile=str(certificate[0]))
    monkeypatch.setattr(transport, "_tls_context", lambda: trusting)
    named = subscription_for(tls_receiver.url)
    misnamed = subscription_for(tls_receiver.url.replace("hooks.", "other."))
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
