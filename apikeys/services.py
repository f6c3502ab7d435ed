"""Create, revoke and check API keys. The admin and the page write only through here.

Why SHA-256 and not a password hasher: a key's secret is 40 random characters
from 62 (about 238 bits), so a leaked digest cannot be reversed by guessing,
however fast the hash. Slow hashers (PBKDF2, Argon2) exist to protect
low-entropy passwords; here they would only add tens of milliseconds to every
API request. The digest is compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from audit.models import AuditEntry
from audit.services import audit_record

from .models import PREFIX, ApiKey, Scope

ALPHABET = string.ascii_letters + string.digits
PUBLIC_ID_ALPHABET = string.ascii_lowercase + string.digits
SECRET_LENGTH = 40
# last_used_at is written at most this often per key, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class KeyRefused(Exception):
    """The presented key is unknown, malformed, revoked or expired (a 401)."""


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _new_key() -> tuple[str, str]:
    public_id = "".join(secrets.choice(PUBLIC_ID_ALPHABET) for _ in range(8))
    secret = "".join(secrets.choice(ALPHABET) for _ in range(SECRET_LENGTH))
    return public_id, f"{PREFIX}{public_id}_{secret}"


def _clean_scopes(scopes) -> list[str]:
    chosen = set(scopes or ())
    unknown = chosen - set(Scope.values)
    if unknown:
        raise ValidationError({"scopes": f"Unknown scopes: {', '.join(sorted(unknown))}."})
    if not chosen:
        raise ValidationError({"scopes": "Choose at least one scope."})
    return [scope for scope in Scope.values if scope in chosen]


def api_key_check(*, user, name: str, scopes, expires_at: datetime | None) -> None:
    """Raise the ValidationError api_key_create would, writing nothing (for forms)."""
    errors = {}
    if not (name or "").strip():
        errors["name"] = "Name the key (what uses it)."
    try:
        _clean_scopes(scopes)
    except ValidationError as exc:
        errors.update({field: e[0] for field, e in exc.message_dict.items()})
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = "The expiry must be in the future."
    if user is not None and not user.is_active:
        errors["user"] = "This account is inactive."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def api_key_create(
    *, actor, user, name: str, scopes, expires_at: datetime | None = None
) -> tuple[ApiKey, str]:
    """A new key for `user`; returns it with the plaintext key, which is never stored."""
    name = (name or "").strip()
    api_key_check(user=user, name=name, scopes=scopes, expires_at=expires_at)
    for _ in range(5):
        public_id, raw = _new_key()
        try:
            with transaction.atomic():
                key = ApiKey.objects.create(
                    user=user,
                    name=name,
                    public_id=public_id,
                    digest=digest(raw),
                    scopes=_clean_scopes(scopes),
                    expires_at=expires_at,
                    created_by=actor if actor is not None and actor.is_authenticated else None,
                )
            break
        except IntegrityError:  # a public id already taken (1 in 36**8 per existing key)
            continue
    else:  # pragma: no cover - five collisions in a row
        raise RuntimeError("could not draw a free API key id")
    audit_record(
        actor=actor,
        instance=key,
        action=AuditEntry.Action.CREATE,
        changes={
            "user": [None, user.get_username()],
            "scopes": [None, key.scopes],
            "expires_at": [None, expires_at.isoformat() if expires_at else None],
        },
    )
    return key, raw


@transaction.atomic
def api_key_revoke(*, actor, api_key: ApiKey) -> ApiKey:
    """Revoke the key from now on; revoking a revoked key changes nothing."""
    key = ApiKey.objects.select_for_update().get(pk=api_key.pk)
    if key.revoked_at is not None:
        return key
    key.revoked_at = timezone.now()
    key.revoked_by = actor if actor is not None and actor.is_authenticated else None
    key.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(
        actor=actor,
        instance=key,
        action=AuditEntry.Action.UPDATE,
        changes={"revoked_at": [None, key.revoked_at.isoformat()]},
    )
    return key


def api_key_verify(raw: str) -> ApiKey:
    """The active key `raw` is, with its user; raises KeyRefused otherwise.

    Marks the key used, at most once a LAST_USED_RESOLUTION per key.
    """
    if not raw.startswith(PREFIX):
        raise KeyRefused("Not a Priority API key (they start with prio_).")
    public_id, _, secret = raw.removeprefix(PREFIX).partition("_")
    if len(public_id) != 8 or not secret:
        raise KeyRefused("Malformed API key.")
    key = ApiKey.objects.select_related("user").filter(public_id=public_id).first()
    if key is None or not hmac.compare_digest(key.digest, digest(raw)):
        raise KeyRefused("Invalid API key.")
    now = timezone.now()
    if key.revoked_at is not None:
        raise KeyRefused("This API key has been revoked.")
    if key.is_expired(now):
        raise KeyRefused("This API key has expired.")
    if not key.user.is_active:
        raise KeyRefused("User inactive or deleted.")
    api_key_touch(key, now=now)
    return key


def api_key_touch(key: ApiKey, *, now: datetime) -> None:
    """Record the use, unless it was recorded less than LAST_USED_RESOLUTION ago.

    The conditional UPDATE makes concurrent processes write it once between them.
    """
    stale = now - LAST_USED_RESOLUTION
    if key.last_used_at is not None and key.last_used_at > stale:
        return
    ApiKey.objects.filter(pk=key.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale)
    ).update(last_used_at=now)
    key.last_used_at = now
