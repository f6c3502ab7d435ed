from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import AuditEntry
from .selectors import change_pairs

CHANGES_SCHEMA = {
    "type": "object",
    "description": (
        "Each changed field with its old and new value: {field: [old, new]}. Foreign keys"
        " are ids; a create has null old values, a delete null new values."
    ),
    "additionalProperties": {"type": "array", "minItems": 2, "maxItems": 2, "items": {}},
    "example": {"reach": [10, 40], "lane": ["later", "now"]},
}


class AuditEntrySerializer(serializers.ModelSerializer):
    """One change: who, when, what (the object and each field's old and new value)."""

    actor = serializers.SerializerMethodField(help_text="Username, or null for the system")
    object_type = serializers.SerializerMethodField(
        help_text="What changed: `initiative`, `alignment`, `objective` or `keyresult`"
    )
    changes = serializers.SerializerMethodField()

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "created_at",
            "actor",
            "actor_id",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "changes",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_actor(self, entry) -> str | None:
        return entry.actor.get_username() if entry.actor else None

    def get_object_type(self, entry) -> str:
        return entry.content_type.model

    @extend_schema_field(CHANGES_SCHEMA)
    def get_changes(self, entry):
        return change_pairs(entry)
