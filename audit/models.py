from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models


class AuditEntry(models.Model):
    """Who changed what and when; written in the same transaction as the change."""

    class Action(models.TextChoices):
        CREATE = "create", "Created"
        UPDATE = "update", "Changed"
        DELETE = "delete", "Deleted"

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=6, choices=Action.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    object_repr = models.CharField(max_length=200)
    # {"field": [old, new]}; for create/delete the snapshot of the fields
    changes = models.JSONField(default=dict, blank=True)
    # Extra context, e.g. the initiative an alignment belongs to, so its page can show it.
    related_to = models.CharField(max_length=100, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["content_type", "object_id", "-id"], name="audit_object"),
            # The activity page: newest first, by kind of object or by person, keyset-paged.
            models.Index(fields=["-created_at", "-id"], name="audit_time"),
            models.Index(fields=["content_type", "-created_at", "-id"], name="audit_kind_time"),
            models.Index(fields=["actor", "-created_at", "-id"], name="audit_actor_time"),
            models.Index(
                fields=["content_type", "actor", "-created_at", "-id"], name="audit_kind_actor_time"
            ),
        ]

    def __str__(self):
        return f"{self.get_action_display()} {self.object_repr}"
