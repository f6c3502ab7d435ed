"""Signing to the Standard Webhooks spec (https://www.standardwebhooks.com/).

A secret is `whsec_` followed by the base64 of 24 to 64 random bytes; those
bytes are the HMAC-SHA256 key. A message is signed over
`"{webhook-id}.{webhook-timestamp}.{body}"` and sent as
`webhook-signature: v1,<base64 of the MAC>`. While a rotated-out secret is
still valid, a second signature made with it follows, space-separated: a
receiver that still has the old secret verifies the message too.

Pure functions of their arguments; no Django.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

PREFIX = "whsec_"
KEY_BYTES = 32
MIN_KEY_BYTES, MAX_KEY_BYTES = 24, 64


def secret_new() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The key bytes of a `whsec_` secret (ValueError if it is not one)."""
    if not secret.startswith(PREFIX):
        raise ValueError("A signing secret starts with whsec_.")
    try:
        key = base64.b64decode(secret[len(PREFIX) :], validate=True)
    except binascii.Error:
        raise ValueError("A signing secret is whsec_ followed by base64.") from None
    if not MIN_KEY_BYTES <= len(key) <= MAX_KEY_BYTES:
        raise ValueError(
            f"A signing secret's key is {MIN_KEY_BYTES} to {MAX_KEY_BYTES} bytes;"
            f" this one is {len(key)}."
        )
    return key


def secret_problem(secret: str) -> str | None:
    """Why `secret` cannot sign (a message for the person who gave it), or None."""
    try:
        secret_key(secret)
    except ValueError as exc:
        return str(exc)
    return None


def secret_from_legacy(secret: str) -> str:
    """A pre-Standard-Webhooks secret in `whsec_` form, keeping its key bytes.

    The old signatures were HMACs keyed with the secret's UTF-8 bytes; the
    new form carries the very same bytes, so a receiver that has the old
    secret computes the same key (`"whsec_" + base64(old)`).
    """
    if secret.startswith(PREFIX) or not secret:
        return secret
    return PREFIX + base64.b64encode(secret.encode()).decode()


def _key(secret: str) -> bytes:
    # Secrets stored before the whsec_ form were migrated with their key bytes
    # unchecked (any length): sign with what is there. One written without the
    # prefix (by hand, in the admin) signs with its bytes, as it always did.
    if not secret.startswith(PREFIX):
        return secret.encode()
    return base64.b64decode(secret[len(PREFIX) :] + "==")


def sign(*, secret: str, msg_id: str, timestamp: int, body: str) -> str:
    """One `v1,<base64>` signature of the message."""
    message = f"{msg_id}.{timestamp}.{body}".encode()
    mac = hmac.new(_key(secret), message, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def signature_header(*, secrets_: list[str], msg_id: str, timestamp: int, body: str) -> str:
    """The `webhook-signature` value: one signature per secret, space-separated."""
    return " ".join(
        sign(secret=secret, msg_id=msg_id, timestamp=timestamp, body=body) for secret in secrets_
    )
