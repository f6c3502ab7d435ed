"""Who may do what. Roles are Django groups (managed in the admin), named here once."""

from django.db.models import TextChoices


class Role(TextChoices):
    PRODUCT = "product", "Product"
    MARKETING = "marketing", "Marketing"
    INTEGRATION = "integration", "Integration"


def _groups(user) -> set[str]:
    if not user or not user.is_authenticated:
        return set()
    cached = getattr(user, "_priority_groups", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._priority_groups = cached
    return cached


def has_role(user, role: Role) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or role in _groups(user)))


def can_view(user) -> bool:
    """Read the roadmap, OKRs and evidence."""
    return bool(user and user.is_authenticated) and (
        user.is_superuser or bool(_groups(user) & {Role.PRODUCT, Role.MARKETING, Role.INTEGRATION})
    )


def can_edit_roadmap(user) -> bool:
    """Edit initiatives, alignments, objectives, key results, check-ins, reference data."""
    return has_role(user, Role.PRODUCT)


def can_edit_okrs(user) -> bool:
    return has_role(user, Role.PRODUCT)


def can_view_alignment(user) -> bool:
    """The alignment review pages: product and marketing, not API-only integration accounts."""
    return has_role(user, Role.PRODUCT) or has_role(user, Role.MARKETING)


def can_add_evidence(user) -> bool:
    return (
        has_role(user, Role.PRODUCT)
        or has_role(user, Role.MARKETING)
        or has_role(user, Role.INTEGRATION)
    )


def can_add_evidence_in_browser(user) -> bool:
    """Integration accounts are API-only: they may read the pages but change nothing there."""
    return has_role(user, Role.PRODUCT) or has_role(user, Role.MARKETING)


def can_push_readings(user) -> bool:
    return has_role(user, Role.PRODUCT) or has_role(user, Role.INTEGRATION)
