"""Outgoing webhooks: subscriptions, signed deliveries and the guard against SSRF.

A rescore that moved priorities calls `priority_changed_enqueue` (through the
`deliver_priority_changed` task). It writes one WebhookDelivery row per active
subscription and asks Celery to send each one after commit. `delivery_attempt`
sends one delivery once and records the outcome on its row; the
`deliver_webhook` task retries it with exponential backoff.

Retries survive a lost message: the row's `next_attempt_at` is the truth and
the Celery countdown only a nudge. The periodic `retry_due_webhook_deliveries`
task re-enqueues pending deliveries overdue by more than one sweep interval (a
retry message lost with a killed worker or a restarted Redis). A sending
attempt holds the row's lock (PostgreSQL: FOR UPDATE SKIP LOCKED), so two
tasks for one delivery never send at the same time, and a delivery that
succeeded is never sent again. Delivery is at least once: a worker killed
after the receiver answered but before the outcome was saved sends it again
later, with the same `Priority-Webhook-Id`, which receivers use to ignore repeats.

Signing: the body is signed with HMAC-SHA256 over `"{id}.{timestamp}.{body}"`
using the subscription's secret, sent as `Priority-Webhook-Signature: v1=<hex>`
with `Priority-Webhook-Id` and `Priority-Webhook-Timestamp`. A receiver checks
the signature and the timestamp's age, and ignores an id it has already seen.

SSRF: a target that resolves to a loopback, private, link-local, multicast,
reserved or unspecified address is refused (unless
settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS), when the subscription is saved and
again before every connection. Site-local IPv6 (fec0::/10) is refused; an IPv6
address that carries an IPv4 address (IPv4-mapped or -compatible, 6to4,
Teredo's server and client, NAT64) is judged by the IPv4 address it carries.
The connection goes to the very address that was checked (the Host header and
TLS SNI/certificate check keep the name), so a DNS answer that changes between
the check and the connect cannot redirect it. Redirects are never followed: a
3xx is a failed attempt.

Slow receivers: an attempt has a total deadline
(settings.WEBHOOK_DELIVERY_DEADLINE_SECONDS, 10 s by default) over connecting,
TLS, sending and reading the response, however the receiver paces its bytes;
past it the attempt fails and is retried like any other. Deliveries run on the
`webhooks` Celery queue, so the workers that rescore never wait for a receiver.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import http.client
import ipaddress
import json
import secrets
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import certifi
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from roadmap.models import ScoreSnapshot, WebhookDelivery, WebhookSubscription
from roadmap.services.nudges import WEBHOOK_DUE, nudge_on_commit

PRIORITY_CHANGED = WebhookSubscription.Event.PRIORITY_CHANGED.value
MAX_ATTEMPTS = 8
CONNECT_TIMEOUT_SECONDS = 5.0
MAX_CHANGES_PER_DELIVERY = 1000
MAX_ERROR_CHARS = 500
USER_AGENT = "Priority-Webhooks/1"


# --- Target checks (SSRF) ----------------------------------------------------


@dataclass(frozen=True)
class Target:
    scheme: str
    hostname: str
    port: int
    path: str
    host_header: str
    addresses: tuple[str, ...]


_SITE_LOCAL = ipaddress.ip_network("fec0::/10")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Local-use NAT64 (RFC 8215): a translator may put the IPv4 address anywhere
# under a shorter prefix, and the range is not globally reachable: refused.
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    """The IPv4 addresses an IPv6 transition address carries, which is where it really goes."""
    if ip.ipv4_mapped is not None:
        return (ip.ipv4_mapped,)
    if ip.sixtofour is not None:
        return (ip.sixtofour,)
    if ip.teredo is not None:
        return ip.teredo  # (server, client): either could be made to reach inside
    if ip in _IPV4_COMPATIBLE or ip in _NAT64:
        # NAT64 as RFC 6052's /96 layout: the IPv4 address is the last 32 bits.
        return (ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF),)
    return ()


def _address_refused(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6:
        # Python 3.11 calls 6to4 of 127.0.0.1 and site-local fec0::/10 global:
        # an address that carries an IPv4 address is judged by that address.
        embedded = _embedded_ipv4(ip)
        if embedded:
            return any(_address_refused(str(inner)) for inner in embedded)
        if ip in _SITE_LOCAL or ip in _NAT64_LOCAL:
            return True
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def _resolve(hostname: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(hostname, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def target_check(url: str) -> Target:
    """Parse and resolve a webhook URL; refuse it (ValidationError) if it may not be called."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValidationError("Enter a valid http or https URL.", code="invalid") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError("Enter a valid http or https URL.", code="invalid")
    if parts.username or parts.password:
        raise ValidationError("Leave credentials out of the URL.", code="invalid")
    default_port = 443 if parts.scheme == "https" else 80
    port = port or default_port
    hostname = parts.hostname
    try:
        addresses = _resolve(hostname, port)
    except (OSError, UnicodeError):
        raise ValidationError(f"Cannot resolve {hostname}.", code="unresolvable") from None
    if not addresses:
        raise ValidationError(f"Cannot resolve {hostname}.", code="unresolvable")
    if not settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS:
        refused = [a for a in addresses if _address_refused(a)]
        if refused:
            raise ValidationError(
                f"{hostname} resolves to {refused[0]}, a loopback, private, link-local,"
                " multicast, reserved or unspecified address; webhooks are not sent there.",
                code="target_refused",
            )
    host = f"[{hostname}]" if ":" in hostname else hostname
    return Target(
        scheme=parts.scheme,
        hostname=hostname,
        port=port,
        path=(parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
        host_header=host if port == default_port else f"{host}:{port}",
        addresses=tuple(addresses),
    )


# --- Subscriptions (services) ------------------------------------------------


def _clean_events(events) -> list[str]:
    allowed = set(WebhookSubscription.Event.values)
    if not isinstance(events, list) or not events:
        raise ValidationError({"events": "Name at least one event."})
    unknown = [e for e in events if e not in allowed]
    if unknown:
        raise ValidationError({"events": f"Unknown event {unknown[0]!r}."})
    return list(dict.fromkeys(events))


@transaction.atomic
def webhook_subscription_create(
    *,
    actor,
    url: str,
    events: list[str],
    secret: str | None = None,
    active: bool = True,
    description: str = "",
) -> WebhookSubscription:
    """Subscribe `url` to `events`; a secret is generated unless one is given."""
    try:
        target_check(url)
    except ValidationError as exc:
        raise ValidationError({"url": exc.messages}) from None
    subscription = WebhookSubscription(
        url=url,
        events=_clean_events(events),
        secret=secret or secrets.token_urlsafe(32),
        active=active,
        description=description,
        created_by=actor,
    )
    subscription.full_clean()
    subscription.save()
    return subscription


@transaction.atomic
def webhook_subscription_update(
    *, actor, subscription: WebhookSubscription, data: dict
) -> WebhookSubscription:
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    unknown = set(data) - {"url", "events", "secret", "active", "description"}
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}")
    if "url" in data and data["url"] != subscription.url:
        try:
            target_check(data["url"])
        except ValidationError as exc:
            raise ValidationError({"url": exc.messages}) from None
    if "events" in data:
        data = {**data, "events": _clean_events(data["events"])}
    for name, value in data.items():
        setattr(subscription, name, value)
    subscription.full_clean()
    subscription.save()
    return subscription


@transaction.atomic
def webhook_subscription_delete(*, actor, subscription: WebhookSubscription) -> None:
    subscription.delete()


# --- Fan-out -----------------------------------------------------------------


def priority_changed_enqueue(*, snapshot_ids: list[int]) -> int:
    """Queue `priority.changed` for these snapshots; returns how many deliveries were queued.

    One delivery per active subscription per batch of up to 1,000 changed
    initiatives; each is sent by its own task once this transaction commits.
    """
    if not snapshot_ids:
        return 0
    subscriptions = [
        s for s in WebhookSubscription.objects.filter(active=True) if PRIORITY_CHANGED in s.events
    ]
    if not subscriptions:
        return 0
    changes = [
        {
            "id": s.initiative_id,
            "title": s.initiative.title,
            "priority_score": s.priority_score,
            "previous_priority_score": s.previous_priority_score,
            "rank": s.rank,
            "previous_rank": s.previous_rank,
        }
        for s in ScoreSnapshot.objects.filter(id__in=snapshot_ids)
        .select_related("initiative")
        .only(
            "initiative_id",
            "initiative__title",
            "priority_score",
            "previous_priority_score",
            "rank",
            "previous_rank",
        )
        .order_by("rank", "initiative_id")
    ]
    if not changes:
        return 0
    now = timezone.now()
    batch = f"{min(snapshot_ids)}-{max(snapshot_ids)}-{len(snapshot_ids)}"
    deliveries = []
    for start in range(0, len(changes), MAX_CHANGES_PER_DELIVERY):
        payload = {
            "event": PRIORITY_CHANGED,
            "occurred_at": now.isoformat(),
            "initiatives": changes[start : start + MAX_CHANGES_PER_DELIVERY],
        }
        deliveries.extend(
            WebhookDelivery(
                subscription=subscription,
                event=PRIORITY_CHANGED,
                payload=payload,
                next_attempt_at=now,
                batch_key=f"{batch}-{start}",
            )
            for subscription in subscriptions
        )
    with transaction.atomic():
        # Safe to run twice (acks_late redelivery): what is queued stays queued once.
        queued = set(
            WebhookDelivery.objects.filter(
                subscription__in=subscriptions, batch_key__in={d.batch_key for d in deliveries}
            ).values_list("subscription_id", "batch_key")
        )
        created = WebhookDelivery.objects.bulk_create(
            [d for d in deliveries if (d.subscription_id, d.batch_key) not in queued]
        )
        for delivery in created:
            nudge_on_commit(WEBHOOK_DUE, delivery.pk)
    return len(created)


# --- Sending -----------------------------------------------------------------


def sign(*, secret: str, delivery_id: str, timestamp: str, body: str) -> str:
    message = f"{delivery_id}.{timestamp}.{body}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class DeliveryRefused(Exception):
    """The target may not be called (SSRF guard); retrying will not help."""


@dataclass(frozen=True)
class HttpResult:
    status: int | None
    error: str


def _deadline_exceeded(limit: float) -> HttpResult:
    return HttpResult(None, f"Deadline of {limit:g} s exceeded.")


class _Watchdog:
    """Shuts a connection down at the attempt's deadline, whatever call is blocked on it.

    A socket timeout bounds each call, not their sum: a receiver that sends a
    byte every few seconds never lets one run out. Shutting the socket down
    from another thread ends the blocked call (TLS handshake, send, status
    line, headers or body) with an error or an early end of data.
    """

    def __init__(self, sock: socket.socket, seconds: float):
        # A descriptor of our own for the connection: TLS wrapping detaches the
        # original socket object, and this one stays open until the timer is gone.
        self._sock = sock.dup()
        self.fired = False
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        self._timer.cancel()
        self._timer.join()
        self._sock.close()


@functools.cache
def _tls_context() -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=certifi.where())
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _exchange(
    sock: socket.socket, target: Target, body: bytes, headers: dict[str, str], *, deadline: float
) -> tuple[HttpResult, bool]:
    """POST over a connected socket; returns the result and whether the deadline cut it short."""
    watchdog = _Watchdog(sock, deadline - time.monotonic())
    conn = None
    try:
        # Never connects by itself: it is handed the socket of the checked address.
        conn = http.client.HTTPConnection(target.hostname, target.port)
        # A backstop: the watchdog, due a second earlier, is what ends a slow call.
        sock.settimeout(max(deadline - time.monotonic(), 0) + 1.0)
        if target.scheme == "https":
            sock = _tls_context().wrap_socket(sock, server_hostname=target.hostname)
        conn.sock = sock
        conn.request(
            "POST", target.path, body=body, headers={**headers, "Host": target.host_header}
        )
        response = conn.getresponse()
        snippet = response.read(MAX_ERROR_CHARS)
    except (OSError, http.client.HTTPException) as e:
        result = HttpResult(None, (str(e) or type(e).__name__)[:MAX_ERROR_CHARS])
    else:
        if 200 <= response.status < 300:
            result = HttpResult(response.status, "")
        elif 300 <= response.status < 400:
            result = HttpResult(response.status, "Redirects are not followed.")
        else:
            text = snippet.decode("utf-8", "replace")[:MAX_ERROR_CHARS]
            result = HttpResult(response.status, text)
    finally:
        watchdog.stop()
        sock.close()
        if conn is not None:
            conn.close()
    return result, watchdog.fired or (result.status is None and time.monotonic() >= deadline)


def _post(url: str, body: bytes, headers: dict[str, str]) -> HttpResult:
    """POST to the checked address of `url` within the deadline; never follows a redirect.

    settings.WEBHOOK_DELIVERY_DEADLINE_SECONDS bounds the attempt as a whole:
    its clock starts before the name is resolved, and connecting (to each
    checked address in turn, at most CONNECT_TIMEOUT_SECONDS each), TLS,
    sending and reading the response (at most MAX_ERROR_CHARS bytes of its
    body) all count. A receiver still answering at the deadline is cut off and
    the attempt fails ("Deadline of N s exceeded."), to be retried as usual.
    """
    limit = settings.WEBHOOK_DELIVERY_DEADLINE_SECONDS
    deadline = time.monotonic() + limit
    try:
        target = target_check(url)
    except ValidationError as exc:
        raise DeliveryRefused(exc.messages[0]) from None
    error = "Could not connect."
    for address in target.addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return _deadline_exceeded(limit)
        try:
            sock = socket.create_connection(
                (address, target.port), timeout=min(CONNECT_TIMEOUT_SECONDS, remaining)
            )
        except OSError as e:
            error = f"Could not connect to {address} port {target.port}: {e}"[:MAX_ERROR_CHARS]
            continue  # the next checked address may answer
        result, cut_short = _exchange(sock, target, body, headers, deadline=deadline)
        return _deadline_exceeded(limit) if cut_short else result
    if time.monotonic() >= deadline:
        return _deadline_exceeded(limit)
    return HttpResult(None, error)


@dataclass(frozen=True)
class AttemptOutcome:
    delivery_id: int
    status: str
    attempts: int
    retry_in: int | None  # seconds until the next attempt; None when there is none


def retry_delay(attempts: int) -> float:
    """Exponential backoff: 2, 4, 8, ... seconds after the 1st, 2nd, 3rd ... attempt.

    The base (2 s) is settings.WEBHOOK_RETRY_BASE_SECONDS.
    """
    base = settings.WEBHOOK_RETRY_BASE_SECONDS
    delay = base * 2 ** (attempts - 1)
    return int(delay) if float(delay).is_integer() else delay


def delivery_attempt(*, delivery_id: int) -> AttemptOutcome:
    """Send one delivery once and record the outcome. A finished delivery is not sent again.

    The attempt holds the row's lock while it sends, so a second task for the
    same delivery (a redelivered message, a sweep's re-enqueue) skips it.
    """
    if not connection.features.has_select_for_update_skip_locked:
        # SQLite: one process, tasks run eagerly; a write lock over an HTTP call
        # would block every other writer, so no claim.
        delivery = (
            WebhookDelivery.objects.select_related("subscription").filter(pk=delivery_id).first()
        )
        return _attempt(delivery_id, delivery)
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("subscription")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None and WebhookDelivery.objects.filter(pk=delivery_id).exists():
            return AttemptOutcome(delivery_id, "in_flight", 0, None)
        return _attempt(delivery_id, delivery)


def _attempt(delivery_id: int, delivery: WebhookDelivery | None) -> AttemptOutcome:
    if delivery is None:
        return AttemptOutcome(delivery_id, "missing", 0, None)
    if delivery.status != WebhookDelivery.Status.PENDING:
        return AttemptOutcome(delivery.pk, delivery.status, delivery.attempts, None)
    subscription = delivery.subscription
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True)
    timestamp = str(int(time.time()))
    delivery_ref = str(delivery.pk)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Priority-Webhook-Id": delivery_ref,
        "Priority-Webhook-Event": delivery.event,
        "Priority-Webhook-Timestamp": timestamp,
        "Priority-Webhook-Signature": "v1="
        + sign(
            secret=subscription.secret, delivery_id=delivery_ref, timestamp=timestamp, body=body
        ),
    }
    refused = not subscription.active
    if refused:
        result = HttpResult(None, "The subscription is inactive.")
    else:
        try:
            result = _post(subscription.url, body.encode(), headers)
        except DeliveryRefused as exc:
            refused = True
            result = HttpResult(None, str(exc))
    return _record(delivery.pk, result, give_up=refused)


@transaction.atomic
def _record(delivery_id: int, result: HttpResult, *, give_up: bool) -> AttemptOutcome:
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
    if delivery.status == WebhookDelivery.Status.SUCCEEDED:
        return AttemptOutcome(delivery.pk, delivery.status, delivery.attempts, None)
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_response_code = result.status
    delivery.last_error = result.error
    retry_in = None
    if result.status is not None and 200 <= result.status < 300:
        delivery.status = WebhookDelivery.Status.SUCCEEDED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
    elif give_up or delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = WebhookDelivery.Status.FAILED
        delivery.next_attempt_at = None
    else:
        delivery.status = WebhookDelivery.Status.PENDING
        retry_in = retry_delay(delivery.attempts)
        delivery.next_attempt_at = now + timedelta(seconds=retry_in)
    delivery.save()
    return AttemptOutcome(delivery.pk, delivery.status, delivery.attempts, retry_in)


# --- Redelivery of lost retries ------------------------------------------------


def deliveries_retry_due(*, limit: int = 500) -> list[int]:
    """Re-enqueue pending deliveries whose retry is overdue (its message was lost).

    Overdue means `next_attempt_at` passed more than one sweep interval ago: a
    retry whose message is alive is sent on time and moves it forward first.
    Each picked row's `next_attempt_at` moves a lease ahead in the same
    transaction, so the next sweep does not enqueue it again while its task is
    queued; rows an attempt is sending right now are locked and skipped.
    """
    interval = settings.WEBHOOK_RETRY_SWEEP_SECONDS
    now = timezone.now()
    lease = timedelta(seconds=max(60.0, 4 * interval))
    with transaction.atomic():
        due = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(
                status=WebhookDelivery.Status.PENDING,
                next_attempt_at__lte=now - timedelta(seconds=interval),
            )
            .order_by("next_attempt_at", "id")
            .values_list("id", flat=True)[:limit]
        )
        if due:
            WebhookDelivery.objects.filter(id__in=due).update(next_attempt_at=now + lease)
            for delivery_id in due:
                nudge_on_commit(WEBHOOK_DUE, delivery_id)
    return due
