from django.urls import path

from . import views

app_name = "okrs"

urlpatterns = [
    path("", views.index, name="index"),
    path("objectives/new/", views.objective_new, name="objective-new"),
    path("objectives/<int:pk>/", views.objective_detail, name="objective"),
    path("objectives/<int:pk>/delete/", views.objective_delete, name="objective-delete"),
    path("objectives/<int:pk>/preview/", views.objective_preview, name="objective-preview"),
    path("objectives/<int:pk>/key-results/", views.key_result_add, name="key-result-add"),
    path("key-results/<int:pk>/", views.key_result_row, name="key-result"),
    path(
        "key-results/<int:pk>/check-ins/", views.key_result_check_ins, name="key-result-check-ins"
    ),
    path("key-results/<int:pk>/edit/", views.key_result_edit, name="key-result-edit"),
    path("key-results/<int:pk>/preview/", views.key_result_preview, name="key-result-preview"),
    path("key-results/<int:pk>/delete/", views.key_result_delete, name="key-result-delete"),
    path("key-results/<int:pk>/check-in/", views.check_in, name="check-in"),
    path("key-results/<int:pk>/chart/", views.chart, name="key-result-chart"),
    path("metrics/", views.metrics, name="metrics"),
    path("metrics/add/", views.metric_add, name="metric-add"),
    path("metrics/<slug:key>/", views.metric_row, name="metric"),
    path("metrics/<slug:key>/edit/", views.metric_edit, name="metric-edit"),
    path("metrics/<slug:key>/delete/", views.metric_delete, name="metric-delete"),
]
