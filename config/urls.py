from django.contrib import admin
from django.urls import include, path

from access.login import LoginView

urlpatterns = [
    path("", include("ops.urls")),
    path("admin/", admin.site.urls),
    # Before Django's own: the same login view, warning when it cannot work over HTTP.
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/", include("config.api")),
    path("okrs/", include("okrs.urls")),
    path("activity/", include("audit.urls")),
    path("views/", include("saved_views.urls")),
    path("settings/api-keys/", include("apikeys.urls")),
    path("", include("roadmap.urls")),
]

# Under /api/ these answer application/problem+json; elsewhere Django's HTML pages.
handler400 = "api.errors.bad_request"
handler403 = "api.errors.permission_denied"
handler404 = "api.errors.page_not_found"
handler500 = "api.errors.server_error"
