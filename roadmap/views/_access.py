"""Role checks for the HTML views: anonymous users log in, users without the role get 403."""

from __future__ import annotations

from access.views import role_required
from roadmap.permissions import can_add_evidence_in_browser, can_edit_roadmap, can_view

viewer_required = role_required(can_view)
editor_required = role_required(can_edit_roadmap)
evidence_author_required = role_required(can_add_evidence_in_browser)
