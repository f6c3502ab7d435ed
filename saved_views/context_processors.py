from django.utils.functional import SimpleLazyObject

from .selectors import NAV_LIMIT, saved_view_list


def saved_views(request):
    """The navigation's saved views, read only if a template shows them (one query)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_saved_views": []}
    return {
        "nav_saved_views": SimpleLazyObject(lambda: list(saved_view_list(viewer=user)[:NAV_LIMIT]))
    }
