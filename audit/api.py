"""The `history/` action shared by the API viewsets of audited objects."""

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action

from api.filters import ChangedSinceFilter

from .selectors import audit_for_object
from .serializers import AuditEntrySerializer


class HistoryMixin:
    """`GET <resource>/{id}/history/`: who changed what and when, newest first, paginated.

    Readable by every role that may read the object: `get_object()` goes
    through the viewset's selector and permission classes (GET is a safe method).
    """

    @extend_schema(
        summary="Who changed what, and when",
        responses=AuditEntrySerializer(many=True),
        description=(
            "Who changed what and when, newest first. An initiative's history includes"
            " changes to its alignments; an objective's, changes to its key results."
        ),
    )
    @action(
        detail=True,
        methods=["get"],
        # `?created_after=`: only what was recorded since an integration's last read.
        filter_backends=[ChangedSinceFilter],
        serializer_class=AuditEntrySerializer,
    )
    def history(self, request, *args, **kwargs):
        instance = self.get_object()
        entries = self.filter_queryset(audit_for_object(instance=instance))
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(AuditEntrySerializer(page, many=True).data)
