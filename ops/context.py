"""The request id of the work in hand: one contextvar, read by every log line.

Set by the request middleware (from a valid `X-Request-ID` or generated),
carried into the Celery tasks a request enqueues in the message's headers
(ops.tasks), and set again around each task run. Nothing here imports Django.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

MAX_LENGTH = 128
# What proxies and load balancers send (UUIDs, hex, AWS's "Root=1-...") and
# nothing that could forge a log line or a header: no spaces, quotes or controls.
SAFE = re.compile(r"[A-Za-z0-9._:=+/-]+")

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def valid_request_id(value: str | None) -> str | None:
    """The id as given when it is safe to log and echo, else None."""
    if value and len(value) <= MAX_LENGTH and SAFE.fullmatch(value):
        return value
    return None


def current_request_id() -> str | None:
    return request_id_var.get()
