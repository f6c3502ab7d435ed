from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("objectives", views.ObjectiveViewSet, basename="objective")
router.register("key-results", views.KeyResultViewSet, basename="key-result")
router.register("metrics", views.MetricViewSet, basename="metric")

urlpatterns = router.urls
