"""The ranked priorities: stored scores, best first, each with its breakdown."""

from django.core.cache import cache
from django.http import HttpResponse
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.permissions import IsAuthenticated

from api.filtersets import SelectorFilterSet
from api.viewsets import (
    ServiceViewSet,
)
from roadmap import selectors
from roadmap.models import Initiative

from .. import priorities_cache
from ..permissions import CanEditRoadmap
from ..serializers import (
    PrioritySerializer,
)
from .initiatives import TeamFilter


class PriorityFilter(SelectorFilterSet):
    selector = staticmethod(selectors.priority_list)
    status = filters.ChoiceFilter(choices=[(s.value, s.label) for s in Initiative.RANKED_STATUSES])
    lane = filters.ChoiceFilter(choices=Initiative.Lane.choices)
    team = TeamFilter()

    class Meta:
        model = Initiative
        fields = ["status", "lane", "team"]


@extend_schema_view(list=extend_schema(summary="List priorities: initiatives ranked, best first"))
class PriorityViewSet(mixins.ListModelMixin, ServiceViewSet):
    """The ranked list, best first, each row with its score breakdown and rank change.

    Served from stored scores: no recomputation per request, one query per page.
    """

    serializer_class = PrioritySerializer
    permission_classes = [IsAuthenticated, CanEditRoadmap]
    filterset_class = PriorityFilter
    ordering_fields = ["rank", "priority_score", "rice_score", "alignment_score", "title"]
    ordering_aliases = {"rank": "rank_key"}  # ranks are counted; their key is stored
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
