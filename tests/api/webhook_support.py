"""What the webhook tests share: a local receiver, subscriptions, one delivery, the signature."""

import base64
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook, WebhookVerificationError

from roadmap import webhooks
from roadmap.models import ScoreSnapshot, WebhookDelivery, WebhookSubscription
from roadmap.services import initiatives_rescore_marked
from tests.factories import InitiativeFactory


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


SECRET = "whsec_" + base64.b64encode(b"s3cret-s3cret-s3cret-s3cret-s3cret").decode()
OTHER_SECRET = "whsec_" + base64.b64encode(b"another-secret-another-secret").decode()


def subscription_for(url, **over):
    fields = {"events": ["priority.changed"], "secret": SECRET, **over}
    return WebhookSubscription.objects.create(url=url, **fields)


def verified(request, secret):
    """The payload, as the `standardwebhooks` library verifies it for a receiver with `secret`."""
    return Webhook(secret).verify(request["body"], request["headers"])


def verify(request, secret) -> bool:
    try:
        verified(request, secret)
    except WebhookVerificationError:
        return False
    return True


def one_delivery(subscription, django_capture_on_commit_callbacks, *, execute=True):
    initiative = InitiativeFactory(title="SSO")
    initiatives_rescore_marked()
    snapshot = ScoreSnapshot.objects.get(initiative=initiative)
    with django_capture_on_commit_callbacks(execute=execute):
        queued = webhooks.priority_changed_enqueue(snapshot_ids=[snapshot.pk])
    assert queued == 1
    return WebhookDelivery.objects.get(subscription=subscription), initiative
