from django.urls import path

from . import views

app_name = "roadmap"

urlpatterns = [
    path("", views.board, name="home"),
    path("roadmap/", views.board, name="board"),
    path("roadmap/timeline/", views.timeline, name="timeline"),
    path("roadmap/timeline/capacity/", views.capacity, name="capacity"),
    path("initiatives/<int:pk>/schedule/", views.initiative_schedule, name="initiative-schedule"),
    path("priorities/", views.priorities, name="priorities"),
    path("priorities/export.csv", views.priorities_export, name="priorities-export"),
    path("priorities/<int:pk>/row/", views.priority_row, name="priority-row"),
    path("priorities/<int:pk>/edit/", views.priority_edit, name="priority-edit"),
    path("initiatives/new/", views.initiative_new, name="initiative-new"),
    path("initiatives/<int:pk>/", views.initiative_detail, name="initiative"),
    path("initiatives/<int:pk>/move/", views.initiative_move, name="initiative-move"),
    path("initiatives/<int:pk>/breakdown/", views.initiative_breakdown, name="breakdown"),
    path("initiatives/<int:pk>/timeline/", views.initiative_timeline, name="initiative-timeline"),
    path("initiatives/<int:pk>/compare/", views.snapshot_compare, name="snapshot-compare"),
    path("initiatives/<int:pk>/alignments/", views.alignment_add, name="alignment-add"),
    path(
        "initiatives/<int:pk>/alignments/<int:alignment_pk>/",
        views.alignment_change,
        name="alignment-change",
    ),
    path(
        "initiatives/<int:pk>/alignments/<int:alignment_pk>/remove/",
        views.alignment_remove,
        name="alignment-remove",
    ),
    path("evidence/", views.inbox, name="inbox"),
    path("evidence/link/", views.evidence_link, name="evidence-link"),
    path("evidence/add/", views.evidence_add, name="evidence-add"),
    path(
        "evidence/<int:pk>/to-initiative/",
        views.evidence_to_initiative,
        name="evidence-to-initiative",
    ),
    path("imports/<slug:kind>/", views.import_upload, name="import"),
    path("imports/<slug:kind>/<str:token>/", views.import_map, name="import-map"),
    path("customers/", views.customers, name="customers"),
    path("customers/add/", views.customer_add, name="customer-add"),
    path("customers/<int:pk>/", views.customer_row, name="customer"),
    path("customers/<int:pk>/edit/", views.customer_edit, name="customer-edit"),
    path("customers/<int:pk>/delete/", views.customer_delete, name="customer-delete"),
    path("customers/segments/add/", views.segment_add, name="segment-add"),
    path("customers/segments/<int:pk>/", views.segment_row, name="segment"),
    path("customers/segments/<int:pk>/edit/", views.segment_edit, name="segment-edit"),
    path("customers/segments/<int:pk>/delete/", views.segment_delete, name="segment-delete"),
    path("scoring/", views.scoring_settings, name="scoring-settings"),
    path("scoring/preview/", views.scoring_preview, name="scoring-preview"),
    path("initiatives/<int:pk>/preview/", views.initiative_preview, name="initiative-preview"),
    path("alignment/", views.alignment, name="alignment"),
    path(
        "alignment/export/<slug:table>.csv",
        views.alignment_export,
        name="alignment-export",
    ),
]
