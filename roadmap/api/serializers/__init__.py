"""Shapes of roadmap objects in the API. Input parsing only; the services decide.

One module per resource family: fields (RICE inputs, the score breakdown),
initiatives (with priorities and alignments), evidence (with segments,
customers and the batch ingest), webhooks. Every serializer imports from here.
"""

from .evidence import (
    CustomerSerializer,
    EvidenceBatchItemSerializer,
    EvidenceBatchResultSerializer,
    EvidenceIngestSerializer,
    EvidenceLinkSerializer,
    EvidenceSerializer,
    SegmentSerializer,
    evidence_references_resolve,
)
from .fields import (
    IMPACT_VALUES,
    BreakdownField,
    BreakdownSerializer,
    ImpactField,
    PercentField,
    PositiveFloatField,
)
from .initiatives import (
    AlignmentSerializer,
    AlignmentUpdateSerializer,
    InitiativeAlignmentSerializer,
    InitiativeSerializer,
    PrioritySerializer,
)
from .webhooks import (
    WebhookDeliveryFilterSerializer,
    WebhookDeliverySerializer,
    WebhookSecretRotatedSerializer,
    WebhookSecretRotateSerializer,
    WebhookSubscriptionCreatedSerializer,
    WebhookSubscriptionSerializer,
)

__all__ = [
    "IMPACT_VALUES",
    "AlignmentSerializer",
    "AlignmentUpdateSerializer",
    "BreakdownField",
    "BreakdownSerializer",
    "CustomerSerializer",
    "EvidenceBatchItemSerializer",
    "EvidenceBatchResultSerializer",
    "EvidenceIngestSerializer",
    "EvidenceLinkSerializer",
    "EvidenceSerializer",
    "ImpactField",
    "InitiativeAlignmentSerializer",
    "InitiativeSerializer",
    "PercentField",
    "PositiveFloatField",
    "PrioritySerializer",
    "SegmentSerializer",
    "WebhookDeliveryFilterSerializer",
    "WebhookDeliverySerializer",
    "WebhookSecretRotateSerializer",
    "WebhookSecretRotatedSerializer",
    "WebhookSubscriptionCreatedSerializer",
    "WebhookSubscriptionSerializer",
    "evidence_references_resolve",
]
