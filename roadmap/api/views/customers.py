"""Customers and segments (reference data the evidence points at)."""

from django_filters import rest_framework as filters
from rest_framework import mixins
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from api.filtersets import IdFilter
from api.viewsets import ServiceDestroyMixin, ServiceViewSet, service_errors
from roadmap import selectors, services
from roadmap.models import Customer, Segment

from ..permissions import CanEditRoadmap
from ..serializers import (
    CustomerSerializer,
    SegmentSerializer,
)


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
