"""API for objectives, key results, metrics and readings: parse, select, one service call.

Role rules live once, in access (roles span goals and roadmap).
"""

from django_filters import rest_framework as filters
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from access.drf import CanEditOkrs, CanPushReadings
from api.batch import one_or_many, one_or_many_schema, validate_items
from api.filters import ChangedSinceFilter
from api.filtersets import IdFilter, SelectorFilterSet
from api.preview import update_schema
from api.viewsets import (
    ServiceCreateMixin,
    ServiceDestroyMixin,
    ServiceViewSet,
    VersionedUpdateMixin,
    service_errors,
)
from audit.api import HistoryMixin
from okrs import previews, selectors, services
from okrs.models import KeyResult, Objective

from .check_ins import CheckInsMixin
from .previews import PreviewUpdateMixin
from .serializers import (
    KeyResultSerializer,
    MetricSerializer,
    MetricUpdateSerializer,
    ObjectiveSerializer,
    ReadingBatchResultSerializer,
    ReadingSerializer,
)


class ObjectiveFilter(SelectorFilterSet):
    selector = staticmethod(selectors.objective_list)
    period = filters.CharFilter(help_text="Quarter, e.g. 2026-Q4")
    team = filters.CharFilter()
    status = filters.ChoiceFilter(choices=Objective.Status.choices)

    class Meta:
        model = Objective
        fields = ["period", "team", "status"]


class KeyResultFilter(SelectorFilterSet):
    selector = staticmethod(selectors.key_result_list)
    objective = IdFilter(help_text="Objective id")
    metric = filters.CharFilter(help_text="Metric key")

    class Meta:
        model = KeyResult
        fields = ["objective", "metric"]


@extend_schema_view(
    update=update_schema(ObjectiveSerializer, "Objective"),
    partial_update=update_schema(ObjectiveSerializer, "Objective"),
)
class ObjectiveViewSet(
    PreviewUpdateMixin,
    HistoryMixin,
    VersionedUpdateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    ServiceCreateMixin,
    ServiceDestroyMixin,
    ServiceViewSet,
):
    """Objectives (company and team), with their key results' progress."""

    serializer_class = ObjectiveSerializer
    permission_classes = [IsAuthenticated, CanEditOkrs]
    filterset_class = ObjectiveFilter
    ordering_fields = ["id", "title", "period", "weight", "progress", "created_at"]
    search_fields = ["title"]

    def get_queryset(self):
        return selectors.objective_list(viewer=self.request.user)

    def create_service(self, data):
        return services.objective_create(actor=self.request.user, **data)

    def perform_service_update(self, instance, data, version):
        services.objective_update(
            actor=self.request.user, objective=instance, data=data, expected_version=version
        )

    def delete_service(self, instance):
        services.objective_delete(actor=self.request.user, objective=instance)

    def preview_edit(self, instance, data):
        return previews.objective_edit_preview(objective=instance, data=data)


@extend_schema_view(
    update=update_schema(KeyResultSerializer, "KeyResult"),
    partial_update=update_schema(KeyResultSerializer, "KeyResult"),
)
class KeyResultViewSet(
    PreviewUpdateMixin,
    CheckInsMixin,
    HistoryMixin,
    VersionedUpdateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    ServiceCreateMixin,
    ServiceDestroyMixin,
    ServiceViewSet,
):
    """Key results; `progress` (0 to 1) is computed from kind, start, target and current."""

    serializer_class = KeyResultSerializer
    permission_classes = [IsAuthenticated, CanEditOkrs]
    filterset_class = KeyResultFilter
    ordering_fields = ["id", "title", "progress", "weight", "created_at"]
    search_fields = ["title"]

    def get_queryset(self):
        return selectors.key_result_list(viewer=self.request.user)

    def create_service(self, data):
        return services.key_result_create(actor=self.request.user, **data)

    def perform_service_update(self, instance, data, version):
        services.key_result_update(
            actor=self.request.user, key_result=instance, data=data, expected_version=version
        )

    def delete_service(self, instance):
        services.key_result_delete(actor=self.request.user, key_result=instance)

    def preview_edit(self, instance, data):
        return previews.key_result_edit_preview(key_result=instance, data=data)


READING_INGEST, READING_INGEST_RESULT = one_or_many_schema(
    "Reading",
    item=ReadingSerializer,
    single_result=ReadingSerializer,
    batch_result=ReadingBatchResultSerializer,
)


@extend_schema_view(
    readings=extend_schema(
        methods=["GET"],
        summary="List a metric's readings",
        responses=ReadingSerializer(many=True),
        description="Readings of this metric, newest first.",
    ),
)
class MetricViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    ServiceDestroyMixin,
    ServiceViewSet,
):
    """Metrics, looked up by `key`; integrations push readings to `metrics/{key}/readings/`."""

    serializer_class = MetricSerializer
    permission_classes = [IsAuthenticated, CanEditOkrs]
    lookup_field = "key"
    ordering_fields = ["key", "name"]
    search_fields = ["key", "name"]

    def get_queryset(self):
        return selectors.metric_list(viewer=self.request.user)

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return MetricUpdateSerializer
        if self.action == "readings":
            return ReadingSerializer
        return MetricSerializer

    def get_permissions(self):
        if self.action == "readings":
            return [IsAuthenticated(), CanPushReadings()]
        return super().get_permissions()

    def reread(self, instance):
        return self.get_queryset().get(key=instance.key)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with service_errors():
            metric = services.metric_create(actor=request.user, **serializer.validated_data)
        return self.created(metric)

    def update(self, request, *args, **kwargs):
        metric = self.get_object()
        partial = kwargs.pop("partial", False)
        serializer = self.get_serializer(metric, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        with service_errors():
            metric = services.metric_update(
                actor=request.user, metric=metric, data=dict(serializer.validated_data)
            )
        return Response(self.get_serializer(self.reread(metric)).data)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def delete_service(self, instance):
        services.metric_delete(actor=self.request.user, metric=instance)

    @extend_schema(
        methods=["POST"],
        summary="Push readings of a metric (one or a batch)",
        request=READING_INGEST,
        responses={201: READING_INGEST_RESULT, 200: ReadingSerializer},
        description=(
            "Push one reading (an object) or up to 1,000 (a list). A list is all or nothing:"
            " one bad item answers 400 naming its index and field, and nothing is written."
            " A repeated `external_id` updates the stored reading (200 for a single update)."
            " The newest reading becomes `current` on every key result tracking the metric."
        ),
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[ChangedSinceFilter])
    def readings(self, request, key=None):
        metric = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(
                self.filter_queryset(selectors.reading_list(viewer=request.user, metric=metric))
            )
            return self.get_paginated_response(ReadingSerializer(page, many=True).data)
        items, many = one_or_many(request)
        data = validate_items(ReadingSerializer, items, many=many, context={"request": request})
        with service_errors():
            result = services.metric_readings_push(actor=request.user, metric=metric, items=data)
        if not many:
            code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
            return Response(ReadingSerializer(result.readings[0]).data, status=code)
        body = {
            "created": result.created,
            "updated": result.updated,
            "results": ReadingSerializer(result.readings, many=True).data,
        }
        return Response(body, status=status.HTTP_201_CREATED)
