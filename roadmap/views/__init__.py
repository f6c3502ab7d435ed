"""HTML views for the roadmap: thin (parse → selector → one service call → render)."""

from .alignment_page import alignment, alignment_export
from .board import board, board_lane, initiative_move
from .customers import (
    customer_add,
    customer_delete,
    customer_edit,
    customer_row,
    customers,
    segment_add,
    segment_delete,
    segment_edit,
    segment_row,
)
from .evidence import (
    evidence_add,
    evidence_bulk,
    evidence_edit,
    evidence_link,
    evidence_to_initiative,
    inbox,
    pick_customers,
    pick_initiatives,
)
from .imports import import_map, import_upload
from .initiatives import (
    alignment_add,
    alignment_change,
    alignment_remove,
    initiative_detail,
    initiative_new,
)
from .policy import initiative_preview, scoring_preview, scoring_settings
from .priorities import (
    initiative_breakdown,
    priorities,
    priorities_export,
    priority_edit,
    priority_row,
)
from .score_history import initiative_timeline, snapshot_compare
from .timeline import capacity, initiative_schedule, timeline
from .webhooks import (
    webhook_delete,
    webhook_detail,
    webhook_enable,
    webhook_list,
    webhook_ping,
    webhook_replay,
    webhook_rotate,
)

__all__ = [
    "alignment",
    "alignment_add",
    "alignment_change",
    "alignment_export",
    "alignment_remove",
    "board",
    "board_lane",
    "capacity",
    "customer_add",
    "customer_delete",
    "customer_edit",
    "customer_row",
    "customers",
    "evidence_add",
    "evidence_bulk",
    "evidence_edit",
    "evidence_link",
    "evidence_to_initiative",
    "import_map",
    "import_upload",
    "inbox",
    "initiative_breakdown",
    "initiative_detail",
    "initiative_move",
    "initiative_new",
    "initiative_preview",
    "initiative_schedule",
    "initiative_timeline",
    "pick_customers",
    "pick_initiatives",
    "priorities",
    "priorities_export",
    "priority_edit",
    "priority_row",
    "scoring_preview",
    "scoring_settings",
    "segment_add",
    "segment_delete",
    "segment_edit",
    "segment_row",
    "snapshot_compare",
    "timeline",
    "webhook_delete",
    "webhook_detail",
    "webhook_enable",
    "webhook_list",
    "webhook_ping",
    "webhook_replay",
    "webhook_rotate",
]
