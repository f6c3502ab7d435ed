from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/", include("config.api")),
    path("okrs/", include("okrs.urls")),
    path("", include("roadmap.urls")),
]
