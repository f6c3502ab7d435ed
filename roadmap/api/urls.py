from django.urls import path
from rest_framework.permissions import IsAuthenticated
from rest_framework.routers import APIRootView, DefaultRouter

from . import views
from .views.policy import PreviewView, ScoringPolicyView
from .permissions import CanEditRoadmap


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
    path("scoring-policy/", ScoringPolicyView.as_view(), name="scoring-policy"),
    path("scoring-policy/preview/", PreviewView.as_view(), name="scoring-policy-preview"),
    *router.urls,
]
