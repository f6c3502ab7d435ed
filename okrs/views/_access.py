"""Role checks for the OKR pages: anonymous users log in, users without the role get 403."""

from __future__ import annotations

from access.views import role_required
from okrs.permissions import can_edit_okrs, can_view_okrs

viewer_required = role_required(can_view_okrs)
editor_required = role_required(can_edit_okrs)
