"""Webhook subscriptions and their deliveries."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class WebhookSubscription(models.Model):
    """An integration's request to be told about events, signed with `secret`."""

    class Event(models.TextChoices):
        PRIORITY_CHANGED = "priority.changed", "Priority changed"
        INITIATIVE_CREATED = "initiative.created", "Initiative created"
        INITIATIVE_UPDATED = "initiative.updated", "Initiative updated"
        INITIATIVE_DELETED = "initiative.deleted", "Initiative deleted"
        EVIDENCE_CREATED = "evidence.created", "Evidence created"
        KEY_RESULT_UPDATED = "key_result.updated", "Key result updated"
        OBJECTIVE_UPDATED = "objective.updated", "Objective updated"

    # Sent on request only (a test ping), whatever the subscription's events.
    PING = "webhook.ping"

    url = models.URLField(max_length=500)
    events = models.JSONField(default=list, help_text="Event names, e.g. ['priority.changed']")
    # Standard Webhooks form, `whsec_<base64 of the key>`. Kept in clear: it
    # signs every delivery. Shown to the subscriber once, on create or rotation.
    secret = models.CharField(max_length=200)
    # After a rotation the old secret also signs, until it expires (both
    # signatures are sent), so receivers can switch without losing a delivery.
    previous_secret = models.CharField(max_length=200, blank=True, default="")
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)
    # Set when the last retry of a delivery failed and the subscription was
    # turned off; cleared when someone turns it on again.
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=600, blank=True, default="")
    description = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.url


class WebhookDelivery(models.Model):
    """One event for one subscription, and how its delivery went (updated every attempt)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=64)
    payload = models.JSONField()
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # Which rescore batch this delivery reports (its snapshot ids and chunk):
    # a task that runs twice finds the delivery already queued.
    batch_key = models.CharField(max_length=64, blank=True, default="")
    # A replay (or a replay of a replay) sends the original's message again,
    # under its webhook-id, so receivers can recognise it.
    replay_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replays"
    )
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(fields=["subscription", "-id"], name="delivery_subscription_latest"),
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="delivery_pending_due",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "succeeded", "failed"]),
                name="delivery_status_valid",
            ),
            models.UniqueConstraint(
                fields=["subscription", "batch_key"],
                condition=~Q(batch_key=""),
                name="delivery_unique_batch",
            ),
        ]

    def __str__(self):
        return f"{self.event} → {self.subscription_id} ({self.status})"

    @property
    def message_id(self) -> str:
        """The `webhook-id` header: the same for every attempt and every replay of a message."""
        return f"msg_{self.replay_of_id or self.pk}"

    @property
    def manual(self) -> bool:
        """Asked for by a person (a ping or a replay): one attempt, sent even when disabled."""
        return self.replay_of_id is not None or self.event == WebhookSubscription.PING


# What a delivery may be: an event, or a ping (the deliveries' `event` filter).
DELIVERY_EVENT_CHOICES = [
    *WebhookSubscription.Event.choices,
    (WebhookSubscription.PING, "Test ping"),
]
