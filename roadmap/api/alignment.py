"""Read-only alignment figures for BI tools: /api/v1/alignment/{matrix,unaligned,...}/.

The same selectors as the Alignment page, the same filters as query
parameters (period, lane, team). Token or session auth; every role may read.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from okrs.api.base import ERROR_RESPONSES, ErrorSerializer
from okrs.models import quarter_validator
from roadmap.models import Initiative
from roadmap.permissions import can_view
from roadmap.scoring import CONTRIBUTION_WEIGHTS
from roadmap.selectors_alignment import (
    AlignmentFilters,
    alignment_effort,
    alignment_matrix,
    alignment_segments,
    alignment_unaligned,
    alignment_unserved,
)


class CanReadAlignment(BasePermission):
    """Every role reads. The views only answer GET, so a write gets 405."""

    message = "This account has no role in Priority; ask an admin for one."

    def has_permission(self, request, view):
        return can_view(request.user)


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


# --- views ---------------------------------------------------------------------------

ERRORS = {
    400: ERROR_RESPONSES["400"],
    401: OpenApiResponse(ErrorSerializer, description="No or invalid credentials."),
    403: OpenApiResponse(ErrorSerializer, description="This account has no role."),
}


class _AlignmentView(APIView):
    permission_classes = [CanReadAlignment]

    def filters(self, request) -> AlignmentFilters:
        serializer = AlignmentFilterSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        return serializer.filters()

    @staticmethod
    def envelope(filters: AlignmentFilters, body: dict) -> dict:
        return {
            "filters": {"period": filters.period, "lane": filters.lane, "team": filters.team},
            **body,
        }


class MatrixView(_AlignmentView):
    @extend_schema(
        summary="Objectives and key results by initiative: the alignment matrix",
        description="Objectives in view and their key results (rows) by aligned initiatives"
        " (columns): a key result's cell holds the contribution (strong, medium, weak) and its"
        " weight (1, 0.5, 0.25); an objective's cell adds up its key results' weights.",
        parameters=[AlignmentFilterSerializer],
        responses={200: MatrixSerializer, **ERRORS},
        tags=["alignment"],
    )
    def get(self, request):
        filters = self.filters(request)
        matrix = alignment_matrix(viewer=request.user, filters=filters)
        ids = [c.id for c in matrix.columns]
        rows = [
            {
                **vars(r),
                "cells": [
                    {
                        "initiative_id": ini,
                        "contribution": cell if r.kind == "key_result" else None,
                        "weight": CONTRIBUTION_WEIGHTS.get(cell, 0.0)
                        if r.kind == "key_result"
                        else cell,
                    }
                    for ini, cell in zip(ids, r.cells, strict=True)
                    if cell
                ],
            }
            for r in matrix.rows
        ]
        body = {
            "columns": [vars(c) for c in matrix.columns],
            "rows": rows,
            "weight_total": matrix.weight_total,
            "links": matrix.links,
        }
        return Response(MatrixSerializer(self.envelope(filters, body)).data)


class UnalignedView(_AlignmentView):
    @extend_schema(
        summary="Open initiatives aligned to no key result",
        description="Open initiatives (idea, planned, in progress) linked to no key result in"
        " view, with their count and summed effort.",
        parameters=[AlignmentFilterSerializer],
        responses={200: UnalignedSerializer, **ERRORS},
        tags=["alignment"],
    )
    def get(self, request):
        filters = self.filters(request)
        data = alignment_unaligned(viewer=request.user, filters=filters)
        body = {"count": data.count, "effort": data.effort, "initiatives": data.initiatives}
        return Response(UnalignedSerializer(self.envelope(filters, body)).data)


class UnservedView(_AlignmentView):
    @extend_schema(
        summary="Objectives and key results no planned work serves, or that lag",
        description="Objectives and key results that no planned initiative serves, and those"
        " that lag: progress below 0.4, or fewer than 2 planned initiatives.",
        parameters=[AlignmentFilterSerializer],
        responses={200: UnservedSerializer, **ERRORS},
        tags=["alignment"],
    )
    def get(self, request):
        filters = self.filters(request)
        data = alignment_unserved(viewer=request.user, filters=filters)
        return Response(UnservedSerializer(self.envelope(filters, vars(data))).data)


class EffortView(_AlignmentView):
    @extend_schema(
        summary="Planned person-months per objective against its weight share",
        description="A planned initiative's effort is split across the objectives it serves in"
        " proportion to its contribution weights (strong 1, medium 0.5, weak 0.25).",
        parameters=[AlignmentFilterSerializer],
        responses={200: EffortSerializer, **ERRORS},
        tags=["alignment"],
    )
    def get(self, request):
        filters = self.filters(request)
        data = alignment_effort(viewer=request.user, filters=filters)
        return Response(EffortSerializer(self.envelope(filters, vars(data))).data)


class SegmentsView(_AlignmentView):
    @extend_schema(
        summary="Evidence per initiative and segment; segments the roadmap answers",
        description="Evidence per open initiative and customer segment, with distinct customers"
        " and their revenue; and per segment (`coverage`): evidence unlinked, on planned work,"
        " on other work, and whether the roadmap answers it.",
        parameters=[AlignmentFilterSerializer],
        responses={200: SegmentsSerializer, **ERRORS},
        tags=["alignment"],
    )
    def get(self, request):
        filters = self.filters(request)
        data = alignment_segments(viewer=request.user, filters=filters)
        segment_ids = [c.id for c in data.columns]
        initiatives = [
            {
                **vars(i),
                "cells": [
                    {"segment_id": sid, "evidence": n}
                    for sid, n in zip(segment_ids, i.cells, strict=True)
                ],
            }
            for i in data.initiatives
        ]
        body = {"columns": data.columns, "initiatives": initiatives, "coverage": data.coverage}
        return Response(SegmentsSerializer(self.envelope(filters, body)).data)
