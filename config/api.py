"""The REST API: /api/v1/ resources, /api/schema/ and /api/docs/."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    path("v1/alignment/", include("roadmap.api.alignment.urls")),
    path("v1/", include("okrs.api.urls")),
    path("v1/", include("roadmap.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's initialiser as a script file, not inline,
    # so the page satisfies the Content-Security-Policy.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]
