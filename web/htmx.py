"""htmx answers shared by the pages."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect


def redirect_after_write(request, url: str) -> HttpResponse:
    """Send the browser to `url`: an HX-Redirect for htmx, a plain 302 otherwise."""
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)
