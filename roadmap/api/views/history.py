"""`GET /api/v1/priorities/{id}/history/`: an initiative's score snapshots and their causes."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.permissions import IsAuthenticated

from api.autoschema import PriorityAutoSchema
from api.filters import ChangedSinceFilter
from api.pagination import NewestFirstCursorPagination
from roadmap.models import ScoreSnapshot
from roadmap.selectors_history import initiative_snapshots
from roadmap.services.causes import CAUSE_KINDS

from ..permissions import CanEditRoadmap


class PassedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


@extend_schema_field(
    {
        "type": "string",
        "enum": list(CAUSE_KINDS),
        "description": "What moved it; which other fields it carries depends on it.",
    }
)
class CauseKindField(serializers.ChoiceField):
    """The kind: CauseKindEnum in the schema (ENUM_NAME_OVERRIDES: a key result has a kind)."""


class CauseSerializer(serializers.Serializer):
    """Why a priority moved; `kind` says which other fields it carries (docs/API.md)."""

    kind = CauseKindField(choices=CAUSE_KINDS)
    share = serializers.FloatField(
        required=False,
        help_text="The part of the score change this cause accounts for, where it is known.",
    )
    count = serializers.IntegerField(
        required=False, help_text="How many changes of the same thing it stands for."
    )
    title = serializers.CharField(required=False)
    by = serializers.CharField(required=False, allow_null=True, help_text="Who: a username.")
    key_result = serializers.IntegerField(required=False)
    from_progress = serializers.FloatField(required=False, allow_null=True)
    to_progress = serializers.FloatField(required=False)
    via = serializers.ChoiceField(choices=["reading", "check_in", "edit"], required=False)
    reading = serializers.IntegerField(required=False)
    check_in = serializers.IntegerField(required=False)
    source = serializers.CharField(required=False, help_text="The reading's source.")
    objective = serializers.IntegerField(required=False)
    field = serializers.CharField(required=False)
    vars()["from"] = serializers.JSONField(required=False, help_text="The value before.")
    to = serializers.JSONField(required=False, help_text="The value after.")
    added = serializers.IntegerField(required=False, help_text="Evidence items folded in.")
    customers = serializers.IntegerField(required=False, help_text="Distinct customers of them.")
    segments = serializers.DictField(
        child=serializers.IntegerField(), required=False, help_text="Items by segment name."
    )
    removed = serializers.IntegerField(required=False, help_text="Evidence items deleted.")
    linked = serializers.IntegerField(required=False, help_text="Evidence items linked to it.")
    unlinked = serializers.IntegerField(required=False, help_text="Evidence items moved away.")
    segment = serializers.CharField(required=False, help_text="A segment whose weight changed.")
    customer = serializers.CharField(required=False, help_text="A customer that changed.")
    passed_by = PassedSerializer(many=True, required=False)
    passed = PassedSerializer(many=True, required=False)

    def to_representation(self, instance):
        # As stored: the fields above document the shapes; a cause carries only its own.
        return dict(instance)


class SnapshotSerializer(serializers.ModelSerializer):
    at = serializers.DateTimeField(source="created_at")
    causes = CauseSerializer(many=True, source="listed_causes")

    class Meta:
        model = ScoreSnapshot
        fields = [
            "id",
            "at",
            "priority_score",
            "previous_priority_score",
            "rank",
            "previous_rank",
            "trigger",
            "reach",
            "impact",
            "confidence",
            "effort",
            "rice_score",
            "alignment_score",
            "causes",
        ]
        read_only_fields = fields


class HistoryPagination(NewestFirstCursorPagination):
    """Newest first by id: rows added between two reads are neither skipped nor repeated."""

    ordering = "-id"


class PriorityHistoryView(generics.ListAPIView):
    """An initiative's score snapshots, newest first, each with what moved it."""

    serializer_class = SnapshotSerializer
    permission_classes = [IsAuthenticated, CanEditRoadmap]
    pagination_class = HistoryPagination
    filter_backends = [ChangedSinceFilter]
    schema = PriorityAutoSchema()

    def get_queryset(self):
        return initiative_snapshots(viewer=self.request.user, initiative_id=self.kwargs["pk"])

    @extend_schema(
        operation_id="priorities_history_list",
        summary="Why an initiative's priority moved: its score snapshots",
        parameters=[
            OpenApiParameter(
                "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The initiative's id."
            )
        ],
        description=(
            "The initiative's score snapshots, newest first (cursor-paginated: follow `next`),"
            " each with its score and rank before and after and its causes: key results moved"
            " (by a reading, a check-in or an edit), evidence added, edits (field, values, who),"
            " objective changes, policy changes, decay, and rank shifts (who passed it). The"
            " audit trail of edits is `initiatives/{id}/history/`."
        ),
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
