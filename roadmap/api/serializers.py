"""Shapes of roadmap objects in the API. Input parsing only; the services decide."""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

import bounds
from okrs.api.serializers import version_field
from roadmap import selectors
from roadmap.models import (
    Alignment,
    Customer,
    Evidence,
    Initiative,
    Segment,
    WebhookDelivery,
    WebhookSubscription,
)

IMPACT_VALUES = [value for value, _ in Initiative.IMPACT_CHOICES]


@extend_schema_field({"type": "number", "enum": IMPACT_VALUES})
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
class PositiveFloatField(serializers.FloatField):
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


class InitiativeAlignmentSerializer(serializers.ModelSerializer):
    key_result_title = serializers.CharField(source="key_result.title", read_only=True)
    objective = serializers.IntegerField(source="key_result.objective_id", read_only=True)

    class Meta:
        model = Alignment
        fields = ["id", "key_result", "key_result_title", "objective", "contribution"]
        read_only_fields = fields


class InitiativeSerializer(serializers.ModelSerializer):
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
    effort = serializers.FloatField(
        required=False,
        min_value=bounds.EFFORT_MIN,
        max_value=bounds.EFFORT_MAX,
        help_text="Person-months, 0.01 to 10,000",
    )
    version = version_field()
    unaligned = serializers.BooleanField(read_only=True)
    breakdown = BreakdownField(read_only=True)
    alignments = InitiativeAlignmentSerializer(many=True, read_only=True)

    class Meta:
        model = Initiative
        fields = [
            "id",
            "title",
            "description",
            "status",
            "lane",
            "target_quarter",
            "team",
            "owner",
            "reach",
            "impact",
            "confidence",
            "effort",
            "reach_source",
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
            "rank",
            "scored_at",
            "evidence_count",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "reach": {
                "help_text": "People or events per quarter (computed when reach_source is evidence)"
            },
        }


class PrioritySerializer(serializers.ModelSerializer):
    """One row of the ranked list, explained."""

    previous_rank = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Rank before the latest change"
    )
    rank_change = serializers.SerializerMethodField(
        help_text="Places moved at the latest change: positive is up, null when new"
    )
    previous_priority_score = serializers.FloatField(read_only=True, allow_null=True)
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


class AlignmentSerializer(serializers.ModelSerializer):
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


class SegmentSerializer(serializers.ModelSerializer):
    customer_total = serializers.IntegerField(read_only=True)

    class Meta:
        model = Segment
        fields = ["id", "name", "description", "weight", "customer_total"]


class CustomerSerializer(serializers.ModelSerializer):
    evidence_total = serializers.IntegerField(read_only=True)

    class Meta:
        model = Customer
        fields = [
            "id",
            "name",
            "external_id",
            "segment",
            "annual_revenue",
            "evidence_total",
            "created_at",
        ]
        read_only_fields = ["created_at"]
        extra_kwargs = {"external_id": {"allow_blank": False}}


class EvidenceSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(
        source="customer.name", read_only=True, default=None, allow_null=True
    )
    segment = serializers.IntegerField(
        source="customer.segment_id", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = Evidence
        fields = [
            "id",
            "source",
            "text",
            "importance",
            "received_at",
            "external_id",
            "customer",
            "customer_name",
            "segment",
            "initiative",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class EvidenceIngestSerializer(serializers.Serializer):
    """One evidence item as integrations send it (references are resolved in bulk)."""

    source = serializers.ChoiceField(choices=Evidence.Source.choices)
    text = serializers.CharField(max_length=20_000)
    importance = serializers.ChoiceField(choices=Evidence.Importance.choices, required=False)
    received_at = serializers.DateTimeField(
        required=False,
        validators=[bounds.event_date_validator],
        help_text="From 1970-01-01 to one day ahead of now; now when left out",
    )
    external_id = serializers.CharField(
        max_length=200,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="Your id for this item: sending it again updates the item",
    )
    customer = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, help_text="Customer id"
    )
    customer_external_id = serializers.CharField(
        max_length=200,
        required=False,
        help_text="Your id for the customer; created on first sight",
    )
    customer_name = serializers.CharField(
        max_length=200, required=False, help_text="Name for a customer created on first sight"
    )
    customer_segment = serializers.CharField(
        max_length=100, required=False, help_text="Segment name for a new customer"
    )
    initiative = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, help_text="Initiative id to link to"
    )

    def validate(self, attrs):
        if attrs.get("customer") and attrs.get("customer_external_id"):
            raise serializers.ValidationError(
                {"customer": "Name the customer by `customer` or `customer_external_id`, not both."}
            )
        return attrs


class EvidenceBatchItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Our id of the stored item")
    external_id = serializers.CharField(allow_null=True, help_text="Your id, as sent")


class EvidenceBatchResultSerializer(serializers.Serializer):
    """A batch answers with counts and ids, in the order sent; GET an item for all of it.

    Re-reading and serializing 1,000 full rows cost a third of the request.
    """

    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    results = EvidenceBatchItemSerializer(many=True)


class EvidenceLinkSerializer(serializers.Serializer):
    initiative = serializers.PrimaryKeyRelatedField(
        queryset=Initiative.objects.all(),
        allow_null=True,
        help_text="Initiative to link to; null sends the item back to the triage inbox",
    )


class WebhookSubscriptionSerializer(serializers.ModelSerializer):
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookSubscription.Event.choices),
        min_length=1,
        help_text="Events to receive: priority.changed",
    )
    secret = serializers.CharField(
        write_only=True,
        required=False,
        min_length=16,
        max_length=128,
        help_text="Signing secret; generated when left out. Shown once, in the create response.",
    )

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "url",
            "events",
            "secret",
            "active",
            "description",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_by", "created_at", "updated_at"]

    def validate_url(self, value):
        from django.core.exceptions import ValidationError as DjangoValidationError

        from roadmap.webhooks import target_check

        try:
            target_check(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None
        return value


class WebhookSubscriptionCreatedSerializer(WebhookSubscriptionSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="Keep it: it signs every delivery and is not shown again."
    )


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "subscription",
            "event",
            "payload",
            "status",
            "attempts",
            "last_response_code",
            "last_error",
            "next_attempt_at",
            "delivered_at",
            "created_at",
        ]
        read_only_fields = fields


def evidence_references_resolve(items: list[dict]) -> tuple[list[dict], dict[str, dict]]:
    """Check customer and initiative ids exist; swap segment names for segments. Three queries.

    Returns the items ready for services.evidence_ingest (customer and
    initiative as ids) and the errors by item index.
    """
    customer_ids = {i["customer"] for i in items if i.get("customer")}
    initiative_ids = {i["initiative"] for i in items if i.get("initiative")}
    segment_names = {i["customer_segment"] for i in items if i.get("customer_segment")}
    # Only the ids: the evidence stores the reference (loading the rows as
    # objects was a third of a 500-item request, then ~15 % as `only("id")`).
    customers = selectors.ids_existing(Customer, customer_ids)
    initiatives = selectors.ids_existing(Initiative, initiative_ids)
    segments = Segment.objects.in_bulk(segment_names, field_name="name") if segment_names else {}
    resolved, errors = [], {}
    for index, item in enumerate(items):
        item = dict(item)
        problems = {}
        if item.get("customer") and item["customer"] not in customers:
            problems["customer"] = ["No such customer."]
        if item.get("initiative") and item["initiative"] not in initiatives:
            problems["initiative"] = ["No such initiative."]
        if item.get("customer_segment"):
            item["customer_segment"] = segments.get(item["customer_segment"])
            if item["customer_segment"] is None:
                problems["customer_segment"] = ["No segment with this name."]
        if problems:
            errors[str(index)] = problems
        resolved.append(item)
    return resolved, errors
