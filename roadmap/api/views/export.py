"""GET /api/v1/priorities/export.csv: the ranked list as CSV, every row, streamed."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.permissions import IsAuthenticated

from api.autoschema import ERROR_RESPONSES, PriorityAutoSchema
from roadmap import selectors
from roadmap.csv_export import csv_stream_response, priorities_table

from ..permissions import CanEditRoadmap
from .priorities import PriorityFilter, PriorityViewSet


class PriorityExportView(generics.GenericAPIView):
    """The ranked list as CSV: every row the filters select, in its order, streamed.

    The same filters, search and ordering as GET /priorities/, without pages.
    Text cells a spreadsheet would run as a formula (starting with =, +, -, @,
    a tab or a carriage return) start with an apostrophe.
    """

    schema = PriorityAutoSchema()
    permission_classes = [IsAuthenticated, CanEditRoadmap]
    filterset_class = PriorityFilter
    ordering_fields = PriorityViewSet.ordering_fields
    search_fields = PriorityViewSet.search_fields
    pagination_class = None

    def get_queryset(self):
        return selectors.priority_list(viewer=self.request.user)

    def perform_content_negotiation(self, request, force=False):
        # The answer is CSV whatever the Accept header; errors are JSON.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        operation_id="priorities_export_csv",
        summary="Export the ranked list as CSV",
        description=(
            "Every ranked initiative the filters select (status, lane, team, search,"
            " ordering: as GET /priorities/), as a UTF-8 CSV file with a header row,"
            " streamed. Columns: Rank, Initiative, Status, Lane, Team, Target quarter, Owner,"
            " Reach, Reach source, Impact, Confidence (%), Effort (person-months), RICE,"
            " Alignment, Priority, Objectives (how many it is aligned to), Evidence,"
            " External id, Id. Text cells that start with =, +, -, @, a tab or a carriage"
            " return are prefixed with an apostrophe, so a spreadsheet shows them as text."
        ),
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="The CSV file"),
            **{code: ERROR_RESPONSES[code] for code in ("400", "401", "403")},
        },
        tags=["priorities"],
    )
    def get(self, request, *args, **kwargs):
        header, rows = priorities_table(self.filter_queryset(self.get_queryset()))
        filename = f"priorities-{timezone.localdate().isoformat()}.csv"
        return csv_stream_response(filename, header, rows)
