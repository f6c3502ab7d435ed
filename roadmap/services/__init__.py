"""Roadmap writes. Every service is keyword-only, atomic, and marks what it moves."""

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
    customer_delete,
    customer_save,
    initiative_create,
    initiative_delete,
    initiative_move,
    initiative_update,
    segment_delete,
    segment_save,
)
from .marks import initiatives_mark, initiatives_mark_for_key_results, request_rescore
from .rescore import RescoreResult, initiatives_rescore_marked, scoring_policy

__all__ = [
    "MAX_BATCH",
    "BatchValidationError",
    "EvidenceIngestResult",
    "RescoreResult",
    "alignment_remove",
    "alignment_set",
    "customer_delete",
    "customer_save",
    "evidence_delete",
    "evidence_ingest",
    "evidence_link",
    "initiative_create",
    "initiative_create_from_evidence",
    "initiative_delete",
    "initiative_move",
    "initiative_update",
    "initiatives_mark",
    "initiatives_mark_for_key_results",
    "initiatives_rescore_marked",
    "request_rescore",
    "scoring_policy",
    "segment_delete",
    "segment_save",
]
