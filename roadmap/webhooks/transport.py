"""Webhooks' HTTP transport: the SSRF guard and a POST bounded by a total deadline.

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
past it the attempt fails and is retried like any other.

This module knows nothing of subscriptions or deliveries: `target_check(url)`
and `post(url, body, headers) -> HttpResult` are its contract.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import certifi
from django.conf import settings
from django.core.exceptions import ValidationError

CONNECT_TIMEOUT_SECONDS = 5.0
MAX_ERROR_CHARS = 500


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


# --- Sending -----------------------------------------------------------------


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


def post(url: str, body: bytes, headers: dict[str, str]) -> HttpResult:
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
