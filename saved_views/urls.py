from django.urls import path

from . import views

app_name = "saved_views"

urlpatterns = [
    path("", views.view_list, name="list"),
    path("save/", views.save, name="save"),
    path("<int:pk>/", views.open_view, name="open"),
    path("<int:pk>/delete/", views.delete, name="delete"),
]
