"""The REST API: /api/v1/ resources, /api/schema/ and /api/docs/."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api.errors import page_not_found


def no_such_resource(request):
    """Anything else under /api/ ending in a slash: the problem+json 404, DEBUG or not.

    (Django's handler404 is not called while DEBUG is on; a path without its
    trailing slash still gets CommonMiddleware's redirect first.)
    """
    return page_not_found(request, None)


urlpatterns = [
    path("v1/alignment/", include("roadmap.api.alignment.urls")),
    path("v1/", include("okrs.api.urls")),
    path("v1/", include("roadmap.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's initialiser as a script file, not inline,
    # so the page satisfies the Content-Security-Policy.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    re_path(r"^.*/$", no_such_resource),
]
