"""The evidence text's search documents, kept beside the evidence rather than in it (PostgreSQL).

A GIN index over every item's tsvector roughly doubled what PostgreSQL spends
inserting evidence. So ingest writes no document: `roadmap.services.evidence_search`
adds the new items' documents in sets, in the background, and moves the mark
up to which every item has one. A search reads the documents up to the mark
and computes the few newer items' text on the fly (docs/PERFORMANCE.md, "The
inbox and its search"). On SQLite these tables stay empty: the search there
is a substring match.
"""

from django.contrib.postgres.search import SearchVectorField
from django.db import models


class EvidenceDocument(models.Model):
    """One item's text as the search reads it: `to_tsvector('english', text)`.

    No foreign key, as with PendingEvidence: a deleted item's document is
    never joined to anything, and a constraint check would cost every write.
    """

    evidence_id = models.BigIntegerField(primary_key=True)
    # GIN-indexed on PostgreSQL (migration 0033; not in Meta: SQLite has no GIN).
    document = SearchVectorField()

    def __str__(self):
        return f"evidence {self.evidence_id}"


class EvidenceDocumentMark(models.Model):
    """One row: every item with an id up to `evidence_id` has its document."""

    evidence_id = models.BigIntegerField(default=0)
    swept_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"documents up to evidence {self.evidence_id}"
