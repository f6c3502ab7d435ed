"""Shapes of the alignment figures and of their query parameters (period, lane, team)."""

from __future__ import annotations

from rest_framework import serializers

from okrs.models import quarter_validator
from roadmap.models import Initiative
from roadmap.selectors_alignment import (
    AlignmentFilters,
)


class Rounded(serializers.FloatField):
    """A computed float, rounded to 4 decimals so sums read cleanly."""

    def to_representation(self, value):
        return round(float(value), 4)


class AlignmentFilterSerializer(serializers.Serializer):
    period = serializers.CharField(
        required=False,
        allow_blank=True,
        # Untrimmed: the schema's pattern allows a quarter or nothing, not " 2026-Q4 ".
        trim_whitespace=False,
        validators=[quarter_validator],
        help_text="Objectives of this quarter (Objective.period), e.g. 2026-Q4. Initiatives: "
        "those targeted at it, unscheduled, or aligned to one of its key results.",
    )
    lane = serializers.ChoiceField(
        choices=Initiative.Lane.choices, required=False, allow_blank=True
    )
    team = serializers.CharField(
        required=False, allow_blank=True, max_length=100, help_text="Initiative.team"
    )

    def filters(self) -> AlignmentFilters:
        data = self.validated_data
        return AlignmentFilters(
            period=data.get("period", ""), lane=data.get("lane", ""), team=data.get("team", "")
        )


# --- response shapes -------------------------------------------------------------


class FiltersSerializer(serializers.Serializer):
    period = serializers.CharField()
    lane = serializers.CharField()
    team = serializers.CharField()


class MatrixColumnSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Initiative id")
    title = serializers.CharField()
    lane = serializers.CharField()
    status = serializers.CharField()
    team = serializers.CharField()
    rank = serializers.IntegerField(allow_null=True)
    weight_total = Rounded(help_text="Sum of contribution weights in this column")
    links = serializers.IntegerField(help_text="Number of links in this column")


class MatrixCellSerializer(serializers.Serializer):
    initiative_id = serializers.IntegerField()
    contribution = serializers.CharField(
        allow_null=True, help_text="strong, medium or weak; null on objective rows"
    )
    weight = Rounded(help_text="Contribution weight; summed over key results on objective rows")


class MatrixRowSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="objective or key_result")
    id = serializers.IntegerField()
    objective_id = serializers.IntegerField()
    title = serializers.CharField()
    period = serializers.CharField()
    progress = Rounded()
    weight_total = Rounded()
    links = serializers.IntegerField()
    cells = MatrixCellSerializer(many=True, help_text="Non-empty cells only")


class MatrixSerializer(serializers.Serializer):
    filters = FiltersSerializer()
    columns = MatrixColumnSerializer(many=True)
    rows = MatrixRowSerializer(many=True)
    weight_total = Rounded()
    links = serializers.IntegerField()


class UnalignedInitiativeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.CharField()
    lane = serializers.CharField()
    team = serializers.CharField()
    effort = Rounded(help_text="Person-months")
    priority_score = Rounded()
    rank = serializers.IntegerField(allow_null=True)
    evidence_count = serializers.IntegerField()


class UnalignedSerializer(serializers.Serializer):
    filters = FiltersSerializer()
    count = serializers.IntegerField()
    effort = Rounded(help_text="Total person-months of unaligned work")
    initiatives = UnalignedInitiativeSerializer(many=True)


class CoverageSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="objective or key_result")
    id = serializers.IntegerField()
    objective_id = serializers.IntegerField()
    objective_title = serializers.CharField()
    title = serializers.CharField()
    period = serializers.CharField()
    progress = Rounded()
    planned_initiatives = serializers.IntegerField()
    unserved = serializers.BooleanField(help_text="No planned initiative serves it")
    low_progress = serializers.BooleanField(help_text="Progress below 0.4")
    few_initiatives = serializers.BooleanField(help_text="Fewer than 2 planned initiatives")
    lagging = serializers.BooleanField(help_text="low_progress or few_initiatives")


class UnservedSerializer(serializers.Serializer):
    filters = FiltersSerializer()
    unserved_objectives = serializers.IntegerField()
    unserved_key_results = serializers.IntegerField()
    lagging_objectives = serializers.IntegerField()
    lagging_key_results = serializers.IntegerField()
    rows = CoverageSerializer(many=True, help_text="Objectives and key results that lag")


class ObjectiveEffortSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    period = serializers.CharField()
    weight = Rounded()
    weight_share = Rounded()
    person_months = Rounded()
    effort_share = Rounded()
    gap = Rounded(help_text="effort_share - weight_share")
    initiatives = serializers.IntegerField(help_text="Planned initiatives serving it")


class EffortSerializer(serializers.Serializer):
    filters = FiltersSerializer()
    planned_person_months = Rounded()
    unaligned_person_months = Rounded()
    unaligned_share = Rounded()
    unaligned_initiatives = serializers.IntegerField()
    objectives = ObjectiveEffortSerializer(many=True)


class SegmentColumnSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="null: no customer or no segment")
    name = serializers.CharField()
    weight = Rounded(allow_null=True)


class SegmentCellSerializer(serializers.Serializer):
    segment_id = serializers.IntegerField(allow_null=True)
    evidence = serializers.IntegerField()


class SegmentInitiativeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    lane = serializers.CharField()
    status = serializers.CharField()
    team = serializers.CharField()
    evidence = serializers.IntegerField()
    customers = serializers.IntegerField(help_text="Distinct customers behind the evidence")
    revenue = serializers.DecimalField(
        max_digits=16, decimal_places=2, help_text="Sum of annual revenue, each customer once"
    )
    cells = SegmentCellSerializer(many=True)


class SegmentCoverageSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    evidence = serializers.IntegerField()
    unlinked = serializers.IntegerField()
    on_planned = serializers.IntegerField()
    on_other = serializers.IntegerField(help_text="On shipped, archived, later or filtered work")
    customers = serializers.IntegerField()
    planned_initiatives = serializers.IntegerField()
    unanswered = serializers.BooleanField(help_text="Has evidence, none on planned work")


class SegmentsSerializer(serializers.Serializer):
    filters = FiltersSerializer()
    columns = SegmentColumnSerializer(many=True)
    initiatives = SegmentInitiativeSerializer(many=True)
    coverage = SegmentCoverageSerializer(many=True)
