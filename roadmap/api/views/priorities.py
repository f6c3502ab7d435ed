"""The ranked priorities: stored scores, best first, each with its breakdown."""

from django.core.cache import cache
from django.core.paginator import Paginator as DjangoPaginator
from django.db.models import Max
from django.http import HttpResponse
from django.utils.functional import cached_property
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.permissions import IsAuthenticated

from api.filtersets import SelectorFilterSet
from api.pagination import Pagination
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
