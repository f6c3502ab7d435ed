"""Roadmap writes. Every service is keyword-only, atomic, and marks what it moves."""

from .customers import (
    customer_create,
    customer_delete,
    customer_fingerprint,
    customer_save,
    customer_update,
    segment_create,
    segment_delete,
    segment_fingerprint,
    segment_save,
    segment_update,
)
from .evidence import (
    MAX_BATCH,
    BatchValidationError,
    EvidenceIngestResult,
    evidence_delete,
    evidence_ingest,
    evidence_link,
    initiative_create_from_evidence,
)
from .initiatives import (
    alignment_remove,
    alignment_set,
    initiative_create,
    initiative_delete,
    initiative_move,
    initiative_update,
)
from .marks import initiatives_mark, initiatives_mark_for_key_results, request_rescore
from .planning import initiative_schedule, team_capacities_set, team_capacity_set
from .rescore import RescoreResult, initiatives_rescore_marked, scoring_policy
from .triage import BULK_MAX, evidence_dismiss, evidence_edit, evidence_restore

__all__ = [
    "BULK_MAX",
    "MAX_BATCH",
    "BatchValidationError",
    "EvidenceIngestResult",
    "RescoreResult",
    "alignment_remove",
    "alignment_set",
    "customer_create",
    "customer_delete",
    "customer_fingerprint",
    "customer_save",
    "customer_update",
    "evidence_delete",
    "evidence_dismiss",
    "evidence_edit",
    "evidence_ingest",
    "evidence_link",
    "evidence_restore",
    "initiative_create",
    "initiative_create_from_evidence",
    "initiative_delete",
    "initiative_move",
    "initiative_schedule",
    "initiative_update",
    "initiatives_mark",
    "initiatives_mark_for_key_results",
    "initiatives_rescore_marked",
    "request_rescore",
    "scoring_policy",
    "segment_create",
    "segment_delete",
    "segment_fingerprint",
    "segment_save",
    "segment_update",
    "team_capacities_set",
    "team_capacity_set",
]
