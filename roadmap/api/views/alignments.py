"""Alignments: links from initiatives to the key results they move."""

from rest_framework import mixins
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from api.filtersets import IdFilter, SelectorFilterSet
from api.viewsets import (
    ServiceDestroyMixin,
    ServiceViewSet,
    service_errors,
)
from roadmap import selectors, services
from roadmap.models import Alignment

from ..permissions import CanEditRoadmap
from ..serializers import (
    AlignmentSerializer,
    AlignmentUpdateSerializer,
)


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
