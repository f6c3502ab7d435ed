"""roadmap's models, one module per part of the domain; every model is importable from here."""

from .customers import Customer, Segment
from .evidence import Evidence, PendingEvidence
from .evidence_search import EvidenceDocument, EvidenceDocumentMark
from .initiatives import Alignment, Initiative
from .planning import TeamCapacity
from .policy import ScoringSettings
from .rescore import FullRescore, PendingCause, RecomputeRun, ScoreQuarantine, ScoreSnapshot
from .segment_counts import SegmentCount
from .webhooks import WebhookDelivery, WebhookSubscription

__all__ = [
    "Alignment",
    "Customer",
    "Evidence",
    "EvidenceDocument",
    "EvidenceDocumentMark",
    "FullRescore",
    "Initiative",
    "PendingCause",
    "PendingEvidence",
    "RecomputeRun",
    "ScoreQuarantine",
    "ScoreSnapshot",
    "ScoringSettings",
    "Segment",
    "SegmentCount",
    "TeamCapacity",
    "WebhookDelivery",
    "WebhookSubscription",
]
