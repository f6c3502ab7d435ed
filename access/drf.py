"""DRF permission classes: thin wrappers over the predicates in access.roles.

An authenticated account with no role gets 403 everywhere; reading needs
`can_view`, and each kind of write its own predicate.
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from access import roles as rules


class _RolePermission(BasePermission):
    message = "Your role may not do this."

    def has_permission(self, request, view):
        if not rules.can_view(request.user):
            self.message = "This account has no role in Priority; ask an admin for one."
            return False
        if request.method in SAFE_METHODS:
            return True
        return self.may_write(request, view)

    def may_write(self, request, view) -> bool:
        raise NotImplementedError


class CanEditRoadmap(_RolePermission):
    """Initiatives, alignments, customers, segments: product writes, every role reads."""

    message = "Only product may change the roadmap."

    def may_write(self, request, view):
        return rules.can_edit_roadmap(request.user)


class CanEditOkrs(_RolePermission):
    """Objectives, key results and metrics: product writes, every role reads."""

    message = "Only product may change objectives, key results and metrics."

    def may_write(self, request, view):
        return rules.can_edit_okrs(request.user)


class CanAddEvidence(_RolePermission):
    """Every role may POST evidence; only product may re-link or delete it."""

    message = "Only product may change or delete evidence."

    def may_write(self, request, view):
        if request.method == "POST":
            return rules.can_add_evidence(request.user)
        return rules.can_edit_roadmap(request.user)


class CanPushReadings(_RolePermission):
    """Metric readings: product and integration may POST them."""

    message = "Only product and integration accounts may push metric readings."

    def may_write(self, request, view):
        return rules.can_push_readings(request.user)


class CanManageWebhooks(BasePermission):
    """Webhooks are for product and integration accounts (and read by nobody else)."""

    message = "Only product and integration accounts may manage webhooks."

    def has_permission(self, request, view):
        if not rules.can_view(request.user):
            self.message = "This account has no role in Priority; ask an admin for one."
            return False
        return rules.can_edit_roadmap(request.user) or rules.has_role(
            request.user, rules.Role.INTEGRATION
        )
