"""Roadmap API: parse (serializer) -> select (selectors) -> one service call -> render.

Writes re-read the object through its selector after the service has
committed, so with eager Celery (the default without a broker) the response
already carries the recomputed scores.
"""

from django.core.cache import cache
from django.core.paginator import Paginator as DjangoPaginator
from django.db.models import Max
from django.http import HttpResponse
from django.utils.functional import cached_property
from django_filters import rest_framework as filters
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from audit.api import HistoryMixin
from okrs.api.base import (
    ServiceCreateMixin,
    ServiceDestroyMixin,
    ServiceViewSet,
    VersionedUpdateMixin,
    batch_error,
    item_errors,
    one_or_many,
    one_or_many_schema,
    service_errors,
    validate_items,
)
from okrs.api.pagination import Pagination
from okrs.api.views import IdFilter, MomentFilter, SelectorFilterSet
from roadmap import selectors, services, webhooks
from roadmap.models import Alignment, Customer, Evidence, Initiative, Segment

from . import priorities_cache
from .permissions import CanAddEvidence, CanEditRoadmap, CanManageWebhooks
from .serializers import (
    AlignmentSerializer,
    AlignmentUpdateSerializer,
    CustomerSerializer,
    EvidenceBatchResultSerializer,
    EvidenceIngestSerializer,
    EvidenceLinkSerializer,
    EvidenceSerializer,
    InitiativeSerializer,
    PrioritySerializer,
    SegmentSerializer,
    WebhookDeliverySerializer,
    WebhookSubscriptionCreatedSerializer,
    WebhookSubscriptionSerializer,
    evidence_references_resolve,
)

# --- Initiatives and priorities ----------------------------------------------

# A longer team name can match nothing: a 400 says so (the schema documents it).
TEAM_MAX_LENGTH = Initiative._meta.get_field("team").max_length


@extend_schema_field({"type": "string", "maxLength": TEAM_MAX_LENGTH})
class TeamFilter(filters.CharFilter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", TEAM_MAX_LENGTH)
        super().__init__(*args, **kwargs)


class InitiativeFilter(SelectorFilterSet):
    selector = staticmethod(selectors.initiative_list)
    status = filters.ChoiceFilter(choices=Initiative.Status.choices)
    lane = filters.ChoiceFilter(choices=Initiative.Lane.choices)
    team = TeamFilter()
    objective = IdFilter(help_text="Aligned to a key result of this objective (id)")
    key_result = IdFilter(help_text="Aligned to this key result (id)")
    unaligned = filters.BooleanFilter(help_text="true: aligned to nothing; false: aligned")

    class Meta:
        model = Initiative
        fields = ["status", "lane", "team", "objective", "key_result", "unaligned"]


class InitiativeViewSet(
    HistoryMixin,
    VersionedUpdateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    ServiceCreateMixin,
    ServiceDestroyMixin,
    ServiceViewSet,
):
    """Initiatives with RICE inputs; scores, rank and breakdown are computed (read-only)."""

    serializer_class = InitiativeSerializer
    permission_classes = [IsAuthenticated, CanEditRoadmap]
    filterset_class = InitiativeFilter
    ordering_fields = [
        "id",
        "rank",
        "priority_score",
        "rice_score",
        "alignment_score",
        "title",
        "reach",
        "confidence",
        "effort",
        "created_at",
        "updated_at",
    ]
    search_fields = ["title"]

    def get_queryset(self):
        return selectors.initiative_list(viewer=self.request.user)

    def create_service(self, data):
        return services.initiative_create(actor=self.request.user, **data)

    def perform_service_update(self, instance, data, version):
        services.initiative_update(
            actor=self.request.user, initiative=instance, data=data, expected_version=version
        )

    def delete_service(self, instance):
        services.initiative_delete(actor=self.request.user, initiative=instance)


class PriorityFilter(SelectorFilterSet):
    selector = staticmethod(selectors.priority_list)
    status = filters.ChoiceFilter(choices=[(s.value, s.label) for s in Initiative.RANKED_STATUSES])
    lane = filters.ChoiceFilter(choices=Initiative.Lane.choices)
    team = TeamFilter()

    class Meta:
        model = Initiative
        fields = ["status", "lane", "team"]


class _RankCountPaginator(DjangoPaginator):
    @cached_property
    def count(self):
        # Ranks are 1..N with no gaps (the rescore re-ranks in one statement), so
        # the highest rank is the count: one index probe instead of a scan of a
        # table every rescore rewrites.
        return self.object_list.aggregate(n=Max("rank"))["n"] or 0


class PriorityPagination(Pagination):
    FILTERS = ("status", "lane", "team", "search")

    def paginate_queryset(self, queryset, request, view=None):
        unfiltered = not any(request.query_params.get(name) for name in self.FILTERS)
        self.django_paginator_class = _RankCountPaginator if unfiltered else DjangoPaginator
        return super().paginate_queryset(queryset, request, view)


class PriorityViewSet(mixins.ListModelMixin, ServiceViewSet):
    """The ranked list, best first, each row with its score breakdown and rank change.

    Served from stored scores: no recomputation per request, one query per page.
    """

    serializer_class = PrioritySerializer
    permission_classes = [IsAuthenticated, CanEditRoadmap]
    filterset_class = PriorityFilter
    pagination_class = PriorityPagination
    ordering_fields = ["rank", "priority_score", "rice_score", "alignment_score", "title"]
    search_fields = ["title"]

    def get_queryset(self):
        return selectors.priority_list(viewer=self.request.user)

    def list(self, request, *args, **kwargs):
        # Integrations poll this list; between rescores it does not change (see
        # roadmap.api.priorities_cache for what is cached, and under which key).
        key = priorities_cache.page_key(request, self)
        if key is None:
            return super().list(request, *args, **kwargs)
        cached = cache.get(key)
        if cached is None:
            rows = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
            data = self.get_serializer(rows, many=True).data
            cached = priorities_cache.page_from(self, data, request)
            cache.set(key, cached, timeout=priorities_cache.TIMEOUT_SECONDS)
        # The rendered rows themselves are cached: a hit skips serializing 50 breakdowns.
        body = priorities_cache.page_body(request, self, cached)
        return HttpResponse(body, content_type="application/json")


# --- Alignments --------------------------------------------------------------


class AlignmentFilter(SelectorFilterSet):
    selector = staticmethod(selectors.alignment_list)
    initiative = IdFilter()
    key_result = IdFilter()

    class Meta:
        model = Alignment
        fields = ["initiative", "key_result"]


class AlignmentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    ServiceDestroyMixin,
    ServiceViewSet,
):
    """Links from initiatives to the key results they move (strong, medium or weak)."""

    permission_classes = [IsAuthenticated, CanEditRoadmap]
    filterset_class = AlignmentFilter
    ordering_fields = ["id", "initiative", "key_result", "created_at"]

    def get_queryset(self):
        return selectors.alignment_list(viewer=self.request.user)

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return AlignmentUpdateSerializer
        return AlignmentSerializer

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with service_errors():
            alignment = services.alignment_set(actor=request.user, **serializer.validated_data)
        return self.created(alignment)

    def update(self, request, *args, **kwargs):
        alignment = self.get_object()
        serializer = self.get_serializer(
            alignment, data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        contribution = serializer.validated_data.get("contribution", alignment.contribution)
        with service_errors():
            services.alignment_set(
                actor=request.user,
                initiative=alignment.initiative,
                key_result=alignment.key_result,
                contribution=contribution,
            )
        return Response(self.get_serializer(self.reread(alignment)).data)

    def delete_service(self, instance):
        services.alignment_remove(actor=self.request.user, alignment=instance)


# --- Evidence ----------------------------------------------------------------


class EvidenceFilter(SelectorFilterSet):
    selector = staticmethod(selectors.evidence_list)
    source = filters.ChoiceFilter(choices=Evidence.Source.choices)
    customer = IdFilter(help_text="Customer id")
    segment = IdFilter(help_text="Segment id (of the customer)")
    initiative = IdFilter(help_text="Initiative id")
    unlinked = filters.BooleanFilter(help_text="true: only the triage inbox (no initiative)")
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
    partial_update=extend_schema(
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
        try:
            with service_errors():
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


# --- Customers and segments --------------------------------------------------


class CustomerFilter(filters.FilterSet):
    # An id, not a choice: a segment that does not exist matches no customer (it
    # was a 400 "Select a valid choice" for a well-formed id).
    segment = IdFilter(help_text="Segment id")

    class Meta:
        model = Customer
        fields = ["segment", "external_id"]


class CustomerViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    ServiceDestroyMixin,
    ServiceViewSet,
):
    """Customers (optionally in a segment); evidence names them by id or external id."""

    serializer_class = CustomerSerializer
    permission_classes = [IsAuthenticated, CanEditRoadmap]
    filterset_class = CustomerFilter
    ordering_fields = ["id", "name", "annual_revenue", "created_at", "evidence_total"]
    search_fields = ["name", "external_id"]

    def get_queryset(self):
        return selectors.customer_list(viewer=self.request.user)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with service_errors():
            customer = services.customer_save(
                actor=request.user, customer=Customer(**serializer.validated_data)
            )
        return self.created(customer)

    def update(self, request, *args, **kwargs):
        customer = self.get_object()
        serializer = self.get_serializer(
            customer, data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        for name, value in serializer.validated_data.items():
            setattr(customer, name, value)
        with service_errors():
            services.customer_save(actor=request.user, customer=customer)
        return Response(self.get_serializer(self.reread(customer)).data)

    def delete_service(self, instance):
        services.customer_delete(actor=self.request.user, customer=instance)


class SegmentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    ServiceDestroyMixin,
    ServiceViewSet,
):
    """Customer segments with their strategic weight (reach from evidence is weighted by it)."""

    serializer_class = SegmentSerializer
    permission_classes = [IsAuthenticated, CanEditRoadmap]
    ordering_fields = ["id", "name", "weight", "customer_total"]
    search_fields = ["name"]

    def get_queryset(self):
        return selectors.segment_list(viewer=self.request.user)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with service_errors():
            segment = services.segment_save(
                actor=request.user, segment=Segment(**serializer.validated_data)
            )
        return self.created(segment)

    def update(self, request, *args, **kwargs):
        segment = self.get_object()
        serializer = self.get_serializer(
            segment, data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        for name, value in serializer.validated_data.items():
            setattr(segment, name, value)
        with service_errors():
            services.segment_save(actor=request.user, segment=segment)
        return Response(self.get_serializer(self.reread(segment)).data)

    def delete_service(self, instance):
        services.segment_delete(actor=self.request.user, segment=instance)


# --- Webhooks ----------------------------------------------------------------


@extend_schema_view(
    create=extend_schema(responses={201: WebhookSubscriptionCreatedSerializer}),
    deliveries=extend_schema(
        responses=WebhookDeliverySerializer(many=True),
        description="Deliveries to this subscription, newest first, with their outcome.",
    ),
)
class WebhookViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    ServiceViewSet,
):
    """Subscriptions to `priority.changed`. Deliveries are signed with the secret."""

    serializer_class = WebhookSubscriptionSerializer
    permission_classes = [IsAuthenticated, CanManageWebhooks]
    ordering_fields = ["id", "created_at"]

    def get_queryset(self):
        return selectors.webhook_subscription_list(viewer=self.request.user)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with service_errors():
            subscription = webhooks.webhook_subscription_create(
                actor=request.user, **serializer.validated_data
            )
        body = WebhookSubscriptionCreatedSerializer(subscription).data
        return Response(body, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        subscription = self.get_object()
        serializer = self.get_serializer(
            subscription, data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        with service_errors():
            subscription = webhooks.webhook_subscription_update(
                actor=request.user, subscription=subscription, data=serializer.validated_data
            )
        return Response(self.get_serializer(subscription).data)

    def destroy(self, request, *args, **kwargs):
        webhooks.webhook_subscription_delete(actor=request.user, subscription=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(
        detail=True,
        methods=["get"],
        filter_backends=[],
        serializer_class=WebhookDeliverySerializer,
    )
    def deliveries(self, request, pk=None):
        subscription = self.get_object()
        page = self.paginate_queryset(
            selectors.webhook_delivery_list(viewer=request.user, subscription=subscription)
        )
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)
