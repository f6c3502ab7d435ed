"""Who may read and edit goals (see access.roles, shared with the roadmap)."""

from access.roles import can_edit_okrs
from access.roles import can_view as can_view_okrs

__all__ = ["can_edit_okrs", "can_view_okrs"]
