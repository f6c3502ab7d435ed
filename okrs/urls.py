from django.urls import path

from . import views

app_name = "okrs"

urlpatterns = [
    path("", views.index, name="index"),
    path("key-results/<int:pk>/check-in/", views.check_in, name="check-in"),
]
