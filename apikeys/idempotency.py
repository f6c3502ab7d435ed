"""`Idempotency-Key` on POST: claim a key, store the answer, replay it for 24 hours.

The claim is an INSERT of the (account, key) row before the request runs: the
unique constraint makes a concurrent duplicate fail to insert it and get a
409 instead of running too. When the request has finished, its answer is
stored on the row (2xx and final 4xx), or the row is deleted (5xx and the
4xx a retry may well change: 401, 403, 408, 409, 423, 425, 429), so that a
retry runs afresh.

A row whose request has run for LOCK_TIMEOUT without an answer belongs to a
process that died; the next request with its key takes it over.
"""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import IdempotencyRecord

TTL = timedelta(hours=24)
LOCK_TIMEOUT = timedelta(minutes=5)
MAX_KEY_LENGTH = 255
# The headers a replay repeats: what describes the body and the created object.
STORED_HEADERS = ("Content-Type", "Location", "ETag", "Last-Modified", "Link")
RETRYABLE_4XX = frozenset({401, 403, 408, 409, 423, 425, 429})
PURGE_BATCH = 5_000


class Outcome(enum.Enum):
    RUN = "run"  # claimed: run the request, then finish or release
    REPLAY = "replay"  # the stored answer
    MISMATCH = "mismatch"  # the key was used for another request
    IN_PROGRESS = "in_progress"  # the first request with the key still runs


@dataclass(frozen=True)
class Claim:
    outcome: Outcome
    record: IdempotencyRecord | None


def valid_key(key: str) -> bool:
    """1 to 255 visible ASCII characters (a UUID is the usual choice)."""
    return 0 < len(key) <= MAX_KEY_LENGTH and all(33 <= ord(ch) <= 126 for ch in key)


def fingerprint(*, method: str, path: str, query: str, content_type: str, body: bytes) -> str:
    """What makes two requests "the same": method, path, query and body.

    A JSON body counts by its content, not its bytes: the same object with its
    keys in another order or other spacing is the same request.
    """
    canonical = body
    if content_type == "application/json":
        try:
            canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
        except (ValueError, RecursionError):
            canonical = body
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query.encode()):
        digest.update(part + b"\0")
    digest.update(canonical)
    return digest.hexdigest()


def idempotency_claim(
    *, user, key: str, fingerprint: str, method: str, path: str, now: datetime | None = None
) -> Claim:
    now = now or timezone.now()
    for _ in range(3):
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    user=user,
                    key=key,
                    fingerprint=fingerprint,
                    method=method,
                    path=path[:2000],
                    created_at=now,
                    expires_at=now + TTL,
                )
            return Claim(Outcome.RUN, record)
        except IntegrityError:
            pass
        existing = IdempotencyRecord.objects.filter(user=user, key=key).first()
        if existing is None:  # released or purged since: claim again
            continue
        if existing.expires_at <= now:
            IdempotencyRecord.objects.filter(pk=existing.pk, expires_at__lte=now).delete()
            continue
        if existing.fingerprint != fingerprint:
            return Claim(Outcome.MISMATCH, existing)
        if not existing.in_progress:
            return Claim(Outcome.REPLAY, existing)
        if existing.created_at <= now - LOCK_TIMEOUT:
            taken = IdempotencyRecord.objects.filter(
                pk=existing.pk, status_code__isnull=True, created_at=existing.created_at
            ).update(created_at=now, expires_at=now + TTL)
            if taken:
                return Claim(Outcome.RUN, existing)
            continue
        return Claim(Outcome.IN_PROGRESS, existing)
    return Claim(Outcome.IN_PROGRESS, None)


def stores(status_code: int) -> bool:
    return status_code < 500 and status_code not in RETRYABLE_4XX


def idempotency_finish(*, record: IdempotencyRecord, response) -> bool:
    """Store the answer on the claimed row, or release the row; True if stored."""
    if getattr(response, "streaming", False) or not stores(response.status_code):
        idempotency_release(record=record)
        return False
    headers = {name: response[name] for name in STORED_HEADERS if response.has_header(name)}
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        status_code=response.status_code, headers=headers, body=response.content
    )
    return True


def idempotency_release(*, record: IdempotencyRecord) -> None:
    IdempotencyRecord.objects.filter(pk=record.pk, status_code__isnull=True).delete()


def idempotency_purge_expired(*, now: datetime | None = None) -> int:
    """Delete expired rows, a batch at a time; returns how many went."""
    now = now or timezone.now()
    total = 0
    while True:
        batch = list(
            IdempotencyRecord.objects.filter(expires_at__lte=now).values_list("pk", flat=True)[
                :PURGE_BATCH
            ]
        )
        if not batch:
            return total
        total += IdempotencyRecord.objects.filter(pk__in=batch).delete()[0]
