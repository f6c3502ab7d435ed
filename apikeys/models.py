"""API keys and the stored responses behind `Idempotency-Key`.

A key is `prio_<public id>_<secret>`. The public id (8 characters, shown in
lists, logs and the admin) finds the row; the whole key is stored only as its
SHA-256 digest, so the database never holds a usable key.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

PREFIX = "prio_"


class Scope(models.TextChoices):
    """What a key may do, on top of (never beyond) its account's role."""

    READ = "read", "Read (GET)"
    INGEST = "ingest", "Ingest (POST evidence, readings, check-ins)"
    WRITE = "write", "Write (every other change)"


class ApiKey(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=100)
    public_id = models.CharField(max_length=8, unique=True, editable=False)
    digest = models.CharField(
        max_length=64, editable=False, help_text="SHA-256 (hex) of the whole key."
    )
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def prefix(self) -> str:
        """What identifies the key without revealing it: `prio_<public id>_`."""
        return f"{PREFIX}{self.public_id}_"

    def is_expired(self, now=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.is_expired():
            return "expired"
        return "active"


class IdempotencyRecord(models.Model):
    """A POST's `Idempotency-Key`, per account: first a lock, then the stored answer.

    The row is inserted before the request runs (the unique constraint is the
    lock: a concurrent duplicate cannot insert it), and holds the response once
    the request has finished with a stored status.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(
        max_length=64, help_text="SHA-256 of the method, path, query and body."
    )
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)
    # Null while the first request runs.
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    body = models.BinaryField(default=b"", blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.method} {self.path})"

    @property
    def in_progress(self) -> bool:
        return self.status_code is None
