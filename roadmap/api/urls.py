from django.urls import path, re_path
from rest_framework.permissions import IsAuthenticated
from rest_framework.routers import APIRootView, DefaultRouter

from . import views
from .permissions import CanEditRoadmap
from .views.export import PriorityExportView
from .views.history import PriorityHistoryView
from .views.imports import EvidenceImportView, InitiativeImportView
from .views.policy import ExperimentView, PreviewView, ScoringPolicyView


class RootView(APIRootView):
    """The index of links; like every resource, it needs a role (a GET: any role reads)."""

    permission_classes = [IsAuthenticated, CanEditRoadmap]


router = DefaultRouter()
router.APIRootView = RootView
router.register("initiatives", views.InitiativeViewSet, basename="initiative")
router.register("priorities", views.PriorityViewSet, basename="priority")
router.register("alignments", views.AlignmentViewSet, basename="alignment")
router.register("evidence", views.EvidenceViewSet, basename="evidence")
router.register("customers", views.CustomerViewSet, basename="customer")
router.register("segments", views.SegmentViewSet, basename="segment")
router.register("webhooks", views.WebhookViewSet, basename="webhook")

urlpatterns = [
    # Any text as the id (dots too): the view answers a JSON 404 for what is not one.
    path("priorities/export.csv", PriorityExportView.as_view(), name="priorities-export"),
    re_path(
        r"^priorities/(?P<pk>[^/]+)/history/$",
        PriorityHistoryView.as_view(),
        name="priority-history",
    ),
    path("imports/evidence/", EvidenceImportView.as_view(), name="import-evidence"),
    path("imports/initiatives/", InitiativeImportView.as_view(), name="import-initiatives"),
    path("scoring-policy/", ScoringPolicyView.as_view(), name="scoring-policy"),
    path("scoring-policy/preview/", PreviewView.as_view(), name="scoring-policy-preview"),
    re_path(
        r"^evidence/(?P<pk>[^/]+)/experiment/$",
        ExperimentView.as_view(),
        name="evidence-experiment",
    ),
    *router.urls,
]
