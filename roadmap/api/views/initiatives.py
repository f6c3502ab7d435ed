"""Initiatives: RICE inputs in, scores and rank out (read-only)."""

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field, extend_schema_view
from rest_framework import mixins
from rest_framework.permissions import IsAuthenticated

from api import filters as api_filters
from api.filtersets import IdFilter, SelectorFilterSet
from api.preview import update_schema
from api.viewsets import (
    ServiceCreateMixin,
    ServiceDestroyMixin,
    ServiceViewSet,
    VersionedUpdateMixin,
)
from audit.api import HistoryMixin
from roadmap import selectors, services
from roadmap.models import Initiative

from ..permissions import CanEditRoadmap
from ..serializers import (
    InitiativeSerializer,
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
    ordering_aliases = {"rank": "rank_key"}  # ranks are counted; their key is stored
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
