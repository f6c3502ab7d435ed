"""Field types the roadmap's serializers share: RICE inputs and the score breakdown."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers import StrictFloatField
from roadmap.models import Initiative

IMPACT_VALUES = [value for value, _ in Initiative.IMPACT_CHOICES]


# A number, not an enum of numbers: client generators (openapi-python-client)
# cannot express an enum of floats and drop every model that holds one.
@extend_schema_field(
    {
        "type": "number",
        "minimum": min(IMPACT_VALUES),
        "maximum": max(IMPACT_VALUES),
        "description": "One of 0.25 minimal, 0.5 low, 1 medium, 2 high, 3 massive",
    }
)
class ImpactField(serializers.Field):
    """RICE impact on the usual scale: 0.25, 0.5, 1, 2 or 3 (sent as a number)."""

    default_error_messages = {
        "invalid_choice": "{input!r} is not a valid impact; use one of 0.25, 0.5, 1, 2, 3."
    }

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid_choice", input=data)
        if data not in IMPACT_VALUES:  # compared as it came: float() of a huge int raises
            self.fail("invalid_choice", input=data)
        value = float(data)
        if value not in IMPACT_VALUES:
            self.fail("invalid_choice", input=data)
        return value

    def to_representation(self, value):
        return value


@extend_schema_field({"type": "number", "minimum": 0, "exclusiveMinimum": True})
class PositiveFloatField(StrictFloatField):
    """A number more than 0 (effort, weights)."""

    default_error_messages = {"not_positive": "Must be more than 0."}

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value <= 0:
            self.fail("not_positive")
        return value


@extend_schema_field({"type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": 100})
class PercentField(PositiveFloatField):
    """Confidence in percent: more than 0, at most 100."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_value", 100)
        super().__init__(**kwargs)


class _TermSerializer(serializers.Serializer):
    key_result_id = serializers.IntegerField()
    key_result = serializers.CharField()
    objective_id = serializers.IntegerField()
    objective = serializers.CharField()
    contribution = serializers.CharField(help_text="strong, medium or weak")
    contribution_weight = serializers.FloatField()
    objective_weight = serializers.FloatField()
    progress = serializers.FloatField(help_text="Key result progress, 0 to 1")
    gap = serializers.FloatField(help_text="1 - progress")
    floor = serializers.FloatField()
    value = serializers.FloatField(help_text="contribution x objective weight x (floor + gap)")


class _FactorSerializer(serializers.Serializer):
    value = serializers.FloatField()
    source = serializers.CharField(required=False, help_text="manual or evidence (reach)")
    explanation = serializers.CharField(required=False)
    customers = serializers.IntegerField(required=False)
    anonymous_items = serializers.IntegerField(required=False)
    label = serializers.CharField(required=False)
    unit = serializers.CharField(required=False)


class _AlignmentBreakdownSerializer(serializers.Serializer):
    value = serializers.FloatField()
    terms = _TermSerializer(many=True, help_text="One per aligned key result")
    unaligned = serializers.BooleanField()


class BreakdownSerializer(serializers.Serializer):
    """Why the score is what it is: every factor and where it came from ({} until scored)."""

    formula = serializers.CharField(required=False)
    reach = _FactorSerializer(required=False)
    impact = _FactorSerializer(required=False)
    confidence = _FactorSerializer(required=False)
    effort = _FactorSerializer(required=False)
    rice = serializers.FloatField(required=False)
    alignment = _AlignmentBreakdownSerializer(required=False)
    priority = serializers.FloatField(required=False)
    policy = serializers.DictField(required=False)


@extend_schema_field(BreakdownSerializer)
class BreakdownField(serializers.JSONField):
    pass
