"""Initiatives, priorities and alignments."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

import bounds
from api import serializers as strict
from okrs.api.serializers import version_field
from roadmap.models import Alignment, Initiative

from .fields import BreakdownField, ImpactField, PercentField


class InitiativeAlignmentSerializer(strict.ModelSerializer):
    key_result_title = serializers.CharField(source="key_result.title", read_only=True)
    objective = serializers.IntegerField(source="key_result.objective_id", read_only=True)

    class Meta:
        model = Alignment
        fields = ["id", "key_result", "key_result_title", "objective", "contribution"]
        read_only_fields = fields


RANK_HELP = "Place in the ranked list, 1 best; null for shipped, archived or unscored work"


class InitiativeSerializer(strict.ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.all(), required=False, allow_null=True
    )
    impact = ImpactField(
        required=False, help_text="0.25 minimal, 0.5 low, 1 medium, 2 high, 3 massive"
    )
    confidence = PercentField(
        required=False,
        help_text="Percent, more than 0 and at most 100: 100 high, 80 medium, 50 low",
    )
    effort = strict.StrictFloatField(
        required=False,
        min_value=bounds.EFFORT_MIN,
        max_value=bounds.EFFORT_MAX,
        help_text="Person-months, 0.01 to 10,000",
    )
    version = version_field()
    rank = serializers.IntegerField(read_only=True, allow_null=True, help_text=RANK_HELP)
    unaligned = serializers.BooleanField(read_only=True)
    breakdown = BreakdownField(read_only=True)
    alignments = InitiativeAlignmentSerializer(many=True, read_only=True)

    class Meta:
        model = Initiative
        fields = [
            "id",
            "external_id",
            "title",
            "description",
            "status",
            "lane",
            "target_quarter",
            "start_quarter",
            "end_quarter",
            "team",
            "owner",
            "reach",
            "impact",
            "confidence",
            "effort",
            "reach_source",
            "ease",
            "business_value",
            "time_criticality",
            "risk_reduction",
            "job_size",
            "rice_score",
            "alignment_score",
            "priority_score",
            "rank",
            "scored_at",
            "unaligned",
            "evidence_count",
            "breakdown",
            "alignments",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "rice_score",
            "alignment_score",
            "priority_score",
            "scored_at",
            "evidence_count",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "external_id": {
                "help_text": "Your system's id for it (unique; the CSV import matches on it)"
            },
            "reach": {
                "help_text": "People or events per quarter (computed when reach_source is evidence)"
            },
        }


class PrioritySerializer(strict.ModelSerializer):
    """One row of the ranked list, explained."""

    rank = serializers.IntegerField(read_only=True, allow_null=True, help_text=RANK_HELP)
    previous_rank = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Rank before the latest change"
    )
    rank_change = serializers.SerializerMethodField(
        help_text="Places moved at the latest change: positive is up, null when new"
    )
    previous_priority_score = serializers.FloatField(read_only=True, allow_null=True)
    impact = ImpactField(read_only=True)
    unaligned = serializers.BooleanField(read_only=True)
    breakdown = BreakdownField(read_only=True)

    class Meta:
        model = Initiative
        fields = [
            "id",
            "title",
            "status",
            "lane",
            "team",
            "target_quarter",
            "rank",
            "previous_rank",
            "rank_change",
            "priority_score",
            "previous_priority_score",
            "rice_score",
            "alignment_score",
            "reach",
            "impact",
            "confidence",
            "effort",
            "reach_source",
            "evidence_count",
            "unaligned",
            "scored_at",
            "breakdown",
        ]
        read_only_fields = fields

    def get_rank_change(self, obj) -> int | None:
        if obj.previous_rank is None or obj.rank is None:
            return None
        return obj.previous_rank - obj.rank

    def to_representation(self, obj):
        # The hot read of the API (integrations poll it): one dict built directly.
        # DRF's per-field path costs ~20 attribute lookups and calls per row, ~2x
        # the rest of the request (docs/PERFORMANCE.md). Same keys and values as
        # the declared fields, which still document the schema.
        scored_at = obj.scored_at
        if scored_at is not None:
            scored_at = _iso(scored_at)
        return {
            "id": obj.id,
            "title": obj.title,
            "status": obj.status,
            "lane": obj.lane,
            "team": obj.team,
            "target_quarter": obj.target_quarter,
            "rank": obj.rank,
            "previous_rank": obj.previous_rank,
            "rank_change": self.get_rank_change(obj),
            "priority_score": obj.priority_score,
            "previous_priority_score": obj.previous_priority_score,
            "rice_score": obj.rice_score,
            "alignment_score": obj.alignment_score,
            "reach": obj.reach,
            "impact": obj.impact,
            "confidence": obj.confidence,
            "effort": obj.effort,
            "reach_source": obj.reach_source,
            "evidence_count": obj.evidence_count,
            "unaligned": obj.unaligned,
            "scored_at": scored_at,
            "breakdown": obj.breakdown,
        }


_DATETIME_FIELD = serializers.DateTimeField()


def _iso(value) -> str:
    """A datetime exactly as DRF's DateTimeField renders it (ISO 8601, Z for UTC)."""
    return _DATETIME_FIELD.to_representation(value)


class AlignmentSerializer(strict.ModelSerializer):
    key_result_title = serializers.CharField(source="key_result.title", read_only=True)
    objective = serializers.IntegerField(source="key_result.objective_id", read_only=True)

    class Meta:
        model = Alignment
        fields = [
            "id",
            "initiative",
            "key_result",
            "key_result_title",
            "objective",
            "contribution",
            "created_at",
        ]
        read_only_fields = ["created_at"]


class AlignmentUpdateSerializer(AlignmentSerializer):
    class Meta(AlignmentSerializer.Meta):
        read_only_fields = ["initiative", "key_result", "created_at"]
