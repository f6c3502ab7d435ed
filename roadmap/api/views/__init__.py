"""Roadmap API: parse (serializer) -> select (selectors) -> one service call -> render.

Writes re-read the object through its selector after the service has
committed, so with eager Celery (the default without a broker) the response
already carries the recomputed scores.
"""

from .alignments import AlignmentFilter, AlignmentViewSet
from .customers import CustomerFilter, CustomerViewSet, SegmentViewSet
from .evidence import EvidenceFilter, EvidenceViewSet
from .initiatives import InitiativeFilter, InitiativeViewSet, TeamFilter
from .priorities import PriorityFilter, PriorityViewSet
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
    "PriorityViewSet",
    "SegmentViewSet",
    "TeamFilter",
    "WebhookViewSet",
]
