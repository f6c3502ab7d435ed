"""Initiatives, the ranked priorities and alignments."""

from django.core.cache import cache
from django.core.paginator import Paginator as DjangoPaginator
from django.db.models import Max
from django.http import HttpResponse
from django.utils.functional import cached_property
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from api import filters as api_filters
from api.preview import update_schema
from audit.api import HistoryMixin
from okrs.api.base import (
    ServiceCreateMixin,
    ServiceDestroyMixin,
    ServiceViewSet,
    VersionedUpdateMixin,
    service_errors,
)
from okrs.api.pagination import Pagination
from okrs.api.views import IdFilter, SelectorFilterSet
from roadmap import selectors, services
from roadmap.models import Alignment, Initiative

from .. import priorities_cache
from ..permissions import CanEditRoadmap
from ..serializers import (
    AlignmentSerializer,
    AlignmentUpdateSerializer,
    InitiativeSerializer,
    PrioritySerializer,
)
from .policy import initiative_preview

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
    unaligned = api_filters.BooleanFilter(help_text="true: aligned to nothing; false: aligned")

    class Meta:
        model = Initiative
        fields = ["status", "lane", "team", "objective", "key_result", "unaligned"]


@extend_schema_view(
    update=update_schema(InitiativeSerializer, "Initiative"),
    partial_update=update_schema(InitiativeSerializer, "Initiative"),
)
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

    def update(self, request, *args, **kwargs):
        # ?preview=1: the ranking the edit would give, nothing written (docs/API.md).
        if request.query_params.get("preview") in ("1", "true"):
            instance = self.get_object()
            serializer = self.get_serializer(
                instance, data=request.data, partial=kwargs.get("partial", False)
            )
            serializer.is_valid(raise_exception=True)
            return initiative_preview(request, instance, serializer.validated_data)
        return super().update(request, *args, **kwargs)

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


@extend_schema_view(list=extend_schema(summary="List priorities: initiatives ranked, best first"))
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
