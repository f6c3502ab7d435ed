"""Placeholder for the alignment views for marketing; replaced by the alignment page."""

from django.shortcuts import render

from ._access import viewer_required


@viewer_required
def alignment(request):
    return render(request, "roadmap/alignment_placeholder.html")
