"""Roadmap API: parse (serializer) -> select (selectors) -> one service call -> render.

Writes re-read the object through its selector after the service has
committed, so with eager Celery (the default without a broker) the response
already carries the recomputed scores.
"""

from .evidence import (
    CustomerFilter,
    CustomerViewSet,
    EvidenceFilter,
    EvidenceViewSet,
    SegmentViewSet,
)
from .initiatives import (
    AlignmentFilter,
    AlignmentViewSet,
    InitiativeFilter,
    InitiativeViewSet,
    PriorityFilter,
    PriorityPagination,
    PriorityViewSet,
    TeamFilter,
)
from .webhooks import WebhookViewSet

__all__ = [
    "AlignmentFilter",
    "AlignmentViewSet",
    "CustomerFilter",
    "CustomerViewSet",
    "EvidenceFilter",
    "EvidenceViewSet",
    "InitiativeFilter",
    "InitiativeViewSet",
    "PriorityFilter",
    "PriorityPagination",
    "PriorityViewSet",
    "SegmentViewSet",
    "TeamFilter",
    "WebhookViewSet",
]
