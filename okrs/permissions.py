"""Who may read and edit goals. okrs never imports roadmap, so the group names live here too.

They match roadmap.permissions.Role; roles are Django groups managed in the admin.
"""

PRODUCT = "product"
MARKETING = "marketing"
INTEGRATION = "integration"
VIEW_GROUPS = frozenset({PRODUCT, MARKETING, INTEGRATION})


def _groups(user) -> set[str]:
    if not user or not user.is_authenticated:
        return set()
    cached = getattr(user, "_priority_groups", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._priority_groups = cached
    return cached


def can_view_okrs(user) -> bool:
    return bool(user and user.is_authenticated) and (
        user.is_superuser or bool(_groups(user) & VIEW_GROUPS)
    )


def can_edit_okrs(user) -> bool:
    return bool(user and user.is_authenticated) and (user.is_superuser or PRODUCT in _groups(user))
