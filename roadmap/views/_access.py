"""Role checks for the HTML views: anonymous users log in, users without the role get 403."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from roadmap.permissions import can_add_evidence_in_browser, can_edit_roadmap, can_view


def _requires(predicate: Callable) -> Callable:
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not predicate(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


viewer_required = _requires(can_view)
editor_required = _requires(can_edit_roadmap)
evidence_author_required = _requires(can_add_evidence_in_browser)
