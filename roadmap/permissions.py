"""The role predicates, as the roadmap's views and selectors use them (see access.roles)."""

from access.roles import (
    Role,
    can_add_evidence,
    can_add_evidence_in_browser,
    can_edit_okrs,
    can_edit_roadmap,
    can_push_readings,
    can_view,
    can_view_alignment,
    has_role,
)

__all__ = [
    "Role",
    "can_add_evidence",
    "can_add_evidence_in_browser",
    "can_edit_okrs",
    "can_edit_roadmap",
    "can_push_readings",
    "can_view",
    "can_view_alignment",
    "has_role",
]
