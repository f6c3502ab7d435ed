"""The product's URLs plus the bench-only baselines: a bare DRF list of 50 plain rows,
and a bare Django page of 50 initiatives (the app's layout, a minimal table)."""

from django.contrib.auth.decorators import login_required
from django.template import engines
from django.template.response import TemplateResponse
from django.urls import include, path
from rest_framework import generics, serializers
from rest_framework.pagination import PageNumberPagination

from roadmap.models import Customer, Initiative

BARE_PAGE = engines["django"].from_string(
    """{% extends "base.html" %}{% block content %}<table>
{% for i in initiatives %}<tr><td>{{ i.id }}</td><td>{{ i.title }}</td><td>{{ i.lane }}</td>
<td>{{ i.status }}</td><td>{{ i.priority_score }}</td></tr>{% endfor %}</table>{% endblock %}"""
)


@login_required
def bare_page(request):
    """What any page of the app costs at least: session, user, layout, 50 rows of one table."""
    rows = Initiative.objects.order_by("id")[:50]
    return TemplateResponse(request, BARE_PAGE, {"initiatives": rows})


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
    path("bench/bare-page/", bare_page),
    path("", include("config.urls")),
]
