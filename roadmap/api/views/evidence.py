"""Evidence: the list, links to initiatives and the batch ingest."""

from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from api import filters as api_filters
from api.batch import batch_error, item_errors, one_or_many, one_or_many_schema, validate_items
from api.filtersets import IdFilter, MomentFilter, SelectorFilterSet
from api.viewsets import ServiceDestroyMixin, ServiceViewSet, service_errors
from roadmap import selectors, services
from roadmap.models import Evidence

from ..permissions import CanAddEvidence
from ..serializers import (
    EvidenceBatchResultSerializer,
    EvidenceIngestSerializer,
    EvidenceLinkSerializer,
    EvidenceSerializer,
    evidence_references_resolve,
)


class EvidenceFilter(SelectorFilterSet):
    selector = staticmethod(selectors.evidence_list)
    source = filters.ChoiceFilter(choices=Evidence.Source.choices)
    customer = IdFilter(help_text="Customer id")
    segment = IdFilter(help_text="Segment id (of the customer)")
    initiative = IdFilter(help_text="Initiative id")
    unlinked = api_filters.BooleanFilter(help_text="true: only the triage inbox (no initiative)")
    received_after = MomentFilter(help_text="Received at or after (ISO 8601)")
    received_before = MomentFilter(help_text="Received before (ISO 8601)")

    class Meta:
        model = Evidence
        fields = [
            "source",
            "customer",
            "segment",
            "initiative",
            "unlinked",
            "received_after",
            "received_before",
        ]


EVIDENCE_INGEST, EVIDENCE_INGEST_RESULT = one_or_many_schema(
    "Evidence",
    item=EvidenceIngestSerializer,
    single_result=EvidenceSerializer,
    batch_result=EvidenceBatchResultSerializer,
)


@extend_schema_view(
    create=extend_schema(
        summary="Push evidence (one item or a batch)",
        request=EVIDENCE_INGEST,
        responses={
            201: OpenApiResponse(
                EVIDENCE_INGEST_RESULT,
                description="The item (one sent) or {created, updated, results} (a list sent)",
            ),
            200: OpenApiResponse(EvidenceSerializer, description="One item, updated"),
        },
        description=(
            "Push one evidence item (an object) or up to 1,000 (a list). A list is all or"
            " nothing: one bad item answers 400 naming its index and field, and nothing is"
            " written. A repeated `external_id` updates the stored item. Name the customer by"
            " `customer` (id) or `customer_external_id` (created on first sight, with optional"
            " `customer_name` and `customer_segment`, a segment name)."
        ),
    ),
    retrieve=extend_schema(summary="Get an evidence item"),
    destroy=extend_schema(summary="Delete an evidence item"),
    partial_update=extend_schema(
        summary="Triage an evidence item",
        request=EvidenceLinkSerializer,
        responses=EvidenceSerializer,
        description="Triage: link the item to an initiative, or unlink it (null).",
    ),
)
class EvidenceViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    ServiceDestroyMixin,
    ServiceViewSet,
):
    """Customer feedback. Every role may add it; product links, unlinks and deletes it."""

    serializer_class = EvidenceSerializer
    permission_classes = [IsAuthenticated, CanAddEvidence]
    filterset_class = EvidenceFilter
    ordering_fields = ["id", "received_at", "created_at", "importance", "source"]
    search_fields = ["text"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.evidence_list(viewer=self.request.user)

    def create(self, request, *args, **kwargs):
        items, many = one_or_many(request)
        data = validate_items(
            EvidenceIngestSerializer, items, many=many, context={"request": request}
        )
        data, errors = evidence_references_resolve(data)
        if errors:
            raise item_errors(errors, total=len(items), many=many)
        with service_errors():
            # Inside: service_errors would flatten the per-item errors (a Django
            # ValidationError too) into {"0": ["{'field': [...]}"]}.
            try:
                result = services.evidence_ingest(actor=request.user, items=data)
            except services.BatchValidationError as exc:
                raise batch_error(exc, total=len(items), many=many) from exc
        if not many:
            code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
            return Response(self.get_serializer(self.reread(result.evidence[0])).data, status=code)
        body = {
            "created": result.created,
            "updated": result.updated,
            "results": [{"id": e.pk, "external_id": e.external_id} for e in result.evidence],
        }
        return Response(body, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        evidence = self.get_object()
        serializer = EvidenceLinkSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with service_errors():
            services.evidence_link(
                actor=request.user,
                evidence_ids=[evidence.pk],
                initiative=serializer.validated_data["initiative"],
            )
        return Response(self.get_serializer(self.reread(evidence)).data)

    def delete_service(self, instance):
        services.evidence_delete(actor=self.request.user, evidence=instance)
