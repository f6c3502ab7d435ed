"""Segments, customers and evidence, with the batch ingest's shapes and reference checks."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

import bounds
from api import serializers as strict
from api.schema import not_together
from roadmap import selectors
from roadmap.models import Customer, Evidence, Initiative, Segment

from .policy import ExperimentResultSerializer, ExperimentSerializer


class EvidenceExperimentSerializer(ExperimentSerializer):
    """An item's experiment result, nested in the item (no `evidence` and `initiative`)."""

    evidence = None
    initiative = None


class SegmentSerializer(strict.ModelSerializer):
    customer_total = serializers.IntegerField(read_only=True)

    class Meta:
        model = Segment
        fields = ["id", "name", "description", "weight", "customer_total"]


class CustomerSerializer(strict.ModelSerializer):
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


class EvidenceSerializer(strict.ModelSerializer):
    customer_name = serializers.CharField(
        source="customer.name", read_only=True, default=None, allow_null=True
    )
    segment = serializers.IntegerField(
        source="customer.segment_id", read_only=True, default=None, allow_null=True
    )
    experiment = serializers.SerializerMethodField(
        help_text="An `experiment` item's result, as GET /evidence/{id}/experiment/ answers it"
        " (without `evidence` and `initiative`); null when the item has none"
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
            "score",
            "customer",
            "customer_name",
            "segment",
            "initiative",
            "experiment",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(EvidenceExperimentSerializer(allow_null=True))
    def get_experiment(self, evidence: Evidence) -> dict | None:
        if not evidence.has_experiment_result:
            return None
        return EvidenceExperimentSerializer(evidence).data


@not_together("customer", "customer_external_id")
class EvidenceIngestSerializer(strict.Serializer):
    """One evidence item as integrations send it (references are resolved in bulk)."""

    source = serializers.ChoiceField(choices=Evidence.Source.choices)
    text = strict.StrictCharField(max_length=20_000)
    importance = serializers.ChoiceField(choices=Evidence.Importance.choices, required=False)
    received_at = serializers.DateTimeField(
        required=False,
        validators=[bounds.event_date_validator],
        help_text="From 1970-01-01 to one day ahead of now; now when left out",
    )
    external_id = strict.StrictCharField(
        max_length=200,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="Your id for this item: sending it again updates the item",
    )
    score = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=bounds.SCORE_MAX,
        help_text="A survey answer's score: 0 to 10 on `nps` items (would you recommend us?),"
        " 1 to 5 on `survey` items (CSAT); none on other sources. Derived NPS and CSAT"
        " metrics are computed from it",
    )
    customer = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, help_text="Customer id"
    )
    customer_external_id = strict.StrictCharField(
        max_length=200,
        required=False,
        help_text="Your id for the customer; created on first sight",
    )
    customer_name = strict.StrictCharField(
        max_length=200, required=False, help_text="Name for a customer created on first sight"
    )
    customer_segment = strict.StrictCharField(
        max_length=100, required=False, help_text="Segment name for a new customer"
    )
    initiative = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, help_text="Initiative id to link to"
    )
    experiment = ExperimentResultSerializer(
        required=False,
        allow_null=True,
        help_text="An `experiment` item's result, as PUT /evidence/{id}/experiment/ takes it:"
        " the fields given are set (left out: kept as stored); null clears the result",
    )

    def validate(self, attrs):
        if attrs.get("customer") and attrs.get("customer_external_id"):
            raise serializers.ValidationError(
                {"customer": "Name the customer by `customer` or `customer_external_id`, not both."}
            )
        problem = bounds.score_error(attrs.get("source"), attrs.get("score"))
        if problem:
            raise serializers.ValidationError({"score": problem})
        if attrs.get("experiment") and attrs.get("source") != Evidence.Source.EXPERIMENT:
            raise serializers.ValidationError(
                {"experiment": "Only evidence of source “experiment” carries an experiment result."}
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


class EvidenceLinkSerializer(strict.Serializer):
    initiative = serializers.PrimaryKeyRelatedField(
        queryset=Initiative.objects.all(),
        allow_null=True,
        help_text="Initiative to link to; null sends the item back to the triage inbox",
    )


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
