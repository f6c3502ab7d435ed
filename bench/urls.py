"""The product's URLs plus the bench-only baseline: a bare DRF list of 50 plain rows."""

from django.urls import include, path
from rest_framework import generics, serializers
from rest_framework.pagination import PageNumberPagination

from roadmap.models import Customer


class BareCustomerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "name", "external_id", "segment", "annual_revenue", "created_at"]


class BarePage(PageNumberPagination):
    page_size = 50


class BareList(generics.ListAPIView):
    """The framework's ceiling: same auth and pagination, no joins, no JSON column."""

    serializer_class = BareCustomerSerializer
    pagination_class = BarePage
    filter_backends = []
    queryset = Customer.objects.order_by("id")


urlpatterns = [
    path("bench/bare/", BareList.as_view()),
    path("", include("config.urls")),
]
