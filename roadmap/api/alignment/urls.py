"""/api/v1/alignment/...: read-only alignment figures (included from config/api.py)."""

from django.urls import path

from . import views as alignment

urlpatterns = [
    path("matrix/", alignment.MatrixView.as_view(), name="alignment-matrix"),
    path("unaligned/", alignment.UnalignedView.as_view(), name="alignment-unaligned"),
    path("unserved/", alignment.UnservedView.as_view(), name="alignment-unserved"),
    path("effort/", alignment.EffortView.as_view(), name="alignment-effort"),
    path("segments/", alignment.SegmentsView.as_view(), name="alignment-segments"),
]
