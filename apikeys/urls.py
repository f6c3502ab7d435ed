from django.urls import path

from . import views

app_name = "apikeys"

urlpatterns = [
    path("", views.api_keys, name="index"),
    path("new/", views.api_key_new, name="new"),
    path("<int:pk>/revoke/", views.api_key_revoke_view, name="revoke"),
]
