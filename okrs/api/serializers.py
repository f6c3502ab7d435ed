"""Shapes of objectives, key results, metrics and readings in the API (no logic)."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

import bounds
from api import serializers as strict
from okrs.models import KeyResult, Metric, MetricReading, Objective

VERSION_HELP = (
    "Optimistic lock. Read it from the object; send it back on update (or as"
    ' If-Match: "<version>") and a stale value answers 409. It only changes on writes.'
)


def version_field():
    return serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)


class KeyResultSummarySerializer(strict.ModelSerializer):
    class Meta:
        model = KeyResult
        fields = ["id", "title", "kind", "progress"]
        read_only_fields = fields


class ObjectiveSerializer(strict.ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.all(), required=False, allow_null=True
    )
    version = version_field()
    key_results = KeyResultSummarySerializer(many=True, read_only=True)
    team_label = serializers.CharField(
        read_only=True,
        help_text="What the objective is labelled with: its team, or `Company` for a company"
        " objective (no team, no parent)",
    )

    class Meta:
        model = Objective
        fields = [
            "id",
            "title",
            "description",
            "owner",
            "period",
            "parent",
            "team",
            "team_label",
            "weight",
            "rollup_weight",
            "status",
            "progress",
            "version",
            "key_results",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["progress", "created_at", "updated_at"]
        extra_kwargs = {
            "progress": {
                "help_text": "0 to 1: the weighted mean of its key results (their weights) and its"
                " child objectives not cancelled (their `rollup_weight`), kept up to date when"
                " any of them moves"
            },
            "period": {
                "required": False,
                "help_text": "Quarter, e.g. 2026-Q4; a new objective left without one is set"
                " for the current quarter",
            },
        }


class KeyResultSerializer(strict.ModelSerializer):
    metric = serializers.SlugRelatedField(
        slug_field="key",
        queryset=Metric.objects.all(),
        required=False,
        allow_null=True,
        help_text="Key of the metric whose readings set `current`",
    )
    version = version_field()

    class Meta:
        model = KeyResult
        fields = [
            "id",
            "objective",
            "title",
            "metric",
            "kind",
            "start",
            "target",
            "current",
            "unit",
            "weight",
            "confidence",
            "progress",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["progress", "created_at", "updated_at"]
        extra_kwargs = {"progress": {"help_text": "Fraction done, 0 to 1"}}


class MetricSerializer(strict.ModelSerializer):
    class Meta:
        model = Metric
        fields = [
            "key",
            "name",
            "unit",
            "direction",
            "description",
            "derived_kind",
            "derived_window_days",
            "derived_segment",
        ]


class MetricUpdateSerializer(MetricSerializer):
    class Meta(MetricSerializer.Meta):
        read_only_fields = ["key"]


class ReadingSerializer(strict.ModelSerializer):
    metric = serializers.SlugRelatedField(slug_field="key", read_only=True)
    observed_at = serializers.DateTimeField(
        required=False,
        validators=[bounds.event_date_validator],
        help_text="When the value was observed (from 1970-01-01 to one day ahead of now);"
        " now when left out",
    )
    external_id = strict.StrictCharField(
        max_length=200,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="Your id for this reading: sending it again updates the reading",
    )

    class Meta:
        model = MetricReading
        fields = ["id", "metric", "value", "observed_at", "source", "external_id", "created_at"]
        read_only_fields = ["id", "metric", "created_at"]


class ReadingBatchResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    results = ReadingSerializer(many=True)
