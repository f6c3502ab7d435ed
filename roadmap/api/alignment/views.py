"""Read-only alignment figures for BI tools: /api/v1/alignment/{matrix,unaligned,...}/.

The same selectors as the Alignment page, the same filters as query
parameters (period, lane, team). Token or session auth; every role may read.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from api.autoschema import ERROR_RESPONSES
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

from .serializers import (
    AlignmentFilterSerializer,
    EffortSerializer,
    MatrixSerializer,
    SegmentsSerializer,
    UnalignedSerializer,
    UnservedSerializer,
)


class CanReadAlignment(BasePermission):
    """Every role reads. The views only answer GET, so a write gets 405."""

    message = "This account has no role in Priority; ask an admin for one."

    def has_permission(self, request, view):
        return can_view(request.user)


ERRORS = {
    400: ERROR_RESPONSES["400"],
    401: ERROR_RESPONSES["401"],
    403: ERROR_RESPONSES["403"],
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
