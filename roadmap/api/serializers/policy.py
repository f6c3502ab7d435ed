"""The scoring policy, and the body and answer of a what-if preview."""

from rest_framework import serializers

import bounds
from api import serializers as strict
from api.filtersets import ID_MAX
from api.preview import MoveSerializer, PreviewSerializer  # noqa: F401 (the preview's shape)
from roadmap.models import ScoringSettings


class ScoringPolicySerializer(strict.ModelSerializer):
    """The team's scoring policy (docs/SCORING.md). `version` guards against stale edits."""

    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The version you read; a stale one answers 409"
    )
    segment_weights = serializers.SerializerMethodField(
        help_text="Each segment's weight (edited on the segments, not here)"
    )
    updated_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="Null until the policy is first saved"
    )

    class Meta:
        model = ScoringSettings
        fields = [
            "framework",
            "formula",
            "alignment_weight",
            "unaligned_factor",
            "importance_nice_to_have",
            "importance_important",
            "importance_critical",
            "revenue_weight",
            "experiment_confidence",
            "half_life_days",
            "segment_weights",
            "version",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]

    def get_segment_weights(self, obj) -> dict[str, float]:
        return self.context.get("segment_weights", {})

    def validate(self, attrs):
        # The formula is checked by the model (ScoringSettings.clean) in the service.
        return attrs


class InitiativeChangeSerializer(strict.Serializer):
    """One initiative's edit to preview: its id and the scored fields to change."""

    id = serializers.IntegerField(min_value=1, max_value=ID_MAX)
    changes = serializers.DictField(help_text="Fields as PATCH /initiatives/{id}/ takes them")


class ObjectiveChangeSerializer(strict.Serializer):
    id = serializers.IntegerField(min_value=1, max_value=ID_MAX)
    weight = strict.StrictFloatField(min_value=bounds.WEIGHT_MIN, max_value=bounds.WEIGHT_MAX)


class PreviewRequestSerializer(strict.Serializer):
    """What to preview: a policy (fields to change), initiative edits, objective weights."""

    policy = serializers.DictField(required=False, help_text="Policy fields to change")
    initiatives = InitiativeChangeSerializer(many=True, required=False, max_length=100)
    objectives = ObjectiveChangeSerializer(many=True, required=False, max_length=100)

    def validate(self, attrs):
        if not any(attrs.get(name) for name in ("policy", "initiatives", "objectives")):
            raise serializers.ValidationError(
                "Nothing to preview: give `policy`, `initiatives` or `objectives`."
            )
        return attrs


class ExperimentResultSerializer(strict.Serializer):
    """An experiment item's result (docs/SCORING.md, "Experiments"); null clears a field."""

    metric = strict.StrictCharField(
        max_length=100, required=False, allow_blank=True, allow_null=True
    )
    variant = strict.StrictCharField(
        max_length=100, required=False, allow_blank=True, allow_null=True
    )
    lift = strict.StrictFloatField(
        required=False,
        allow_null=True,
        min_value=-bounds.LIFT_ABS_MAX,
        max_value=bounds.LIFT_ABS_MAX,
        help_text="Lift of the variant over control, percent",
    )
    ci_low = strict.StrictFloatField(
        required=False,
        allow_null=True,
        min_value=-bounds.LIFT_ABS_MAX,
        max_value=bounds.LIFT_ABS_MAX,
        help_text="Confidence interval of the lift, lower bound, percent",
    )
    ci_high = strict.StrictFloatField(
        required=False,
        allow_null=True,
        min_value=-bounds.LIFT_ABS_MAX,
        max_value=bounds.LIFT_ABS_MAX,
        help_text="Confidence interval of the lift, upper bound, percent",
    )
    p_value = strict.StrictFloatField(required=False, allow_null=True, min_value=0, max_value=1)
    sample_size = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=bounds.SAMPLE_MAX
    )


class ExperimentSerializer(serializers.Serializer):
    """The result as stored, and whether it counts as significant and positive."""

    evidence = serializers.IntegerField(source="pk")
    initiative = serializers.IntegerField(source="initiative_id", allow_null=True)
    metric = serializers.CharField(source="experiment_metric")
    variant = serializers.CharField(source="experiment_variant")
    lift = serializers.FloatField(source="experiment_lift", allow_null=True)
    ci_low = serializers.FloatField(source="experiment_ci_low", allow_null=True)
    ci_high = serializers.FloatField(source="experiment_ci_high", allow_null=True)
    p_value = serializers.FloatField(source="experiment_p_value", allow_null=True)
    sample_size = serializers.IntegerField(source="experiment_sample_size", allow_null=True)
    significant = serializers.BooleanField(
        source="experiment_significant",
        help_text="p < 0.05 and lift > 0, or a confidence interval above 0",
    )
