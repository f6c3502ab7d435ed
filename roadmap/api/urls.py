from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("initiatives", views.InitiativeViewSet, basename="initiative")
router.register("priorities", views.PriorityViewSet, basename="priority")
router.register("alignments", views.AlignmentViewSet, basename="alignment")
router.register("evidence", views.EvidenceViewSet, basename="evidence")
router.register("customers", views.CustomerViewSet, basename="customer")
router.register("segments", views.SegmentViewSet, basename="segment")
router.register("webhooks", views.WebhookViewSet, basename="webhook")

urlpatterns = router.urls
