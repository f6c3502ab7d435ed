"""The evidence's search documents (roadmap.models.evidence_search): added in sets, kept in step.

The contract a search relies on: every item with an id up to the mark has a
document made from its current text; items above the mark are searched by
their text directly (`roadmap.selectors_inbox`).

- `documents_sweep` (periodic) moves the mark. Ids come from a sequence and
  are not committed in order: a batch that took ids 100-599 may commit after
  one that took 600-1099. So the sweep first takes a SHARE lock on the
  evidence table for a moment, which waits for every transaction that is
  writing evidence and holds off new ones, and reads the highest id: every
  id up to it is then committed or never will be. `insert_rows` takes the
  table's ordinary write lock before it draws ids (a COPY draws them ahead),
  so no id is drawn by a transaction the lock did not wait for.
- `documents_refresh` rewrites the documents of items whose text changed, in
  the edit's transaction. It writes them whether or not the sweep has got
  there (the sweep adds none that exists), so the two cannot cross.

PostgreSQL only: on SQLite both are no-ops and the search matches substrings.
"""

from __future__ import annotations

from collections.abc import Iterable

import psycopg
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from roadmap.models import EvidenceDocument, EvidenceDocumentMark

from .sql import is_postgres

# Items documented per transaction (~1 s at 20,000 on a loaded 2-core host).
SWEEP_BATCH = 20_000
# How long the sweep waits for writers to finish before it tries again next
# run: new writes queue behind its lock while it waits.
LOCK_TIMEOUT = "500ms"
# The search's expression (SearchVector("text", config="english")) as SQL.
DOCUMENT_SQL = "to_tsvector('english'::regconfig, COALESCE(text, ''::text))"
INSERT_SQL = (
    "INSERT INTO roadmap_evidencedocument (evidence_id, document)"  # noqa: S608 - constants
    f" SELECT id, {DOCUMENT_SQL} FROM roadmap_evidence"
)


def _settled_max_id() -> int | None:
    """The highest evidence id below which every writer has finished; None if one held on."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            cursor.execute("LOCK TABLE roadmap_evidence IN SHARE MODE")
            cursor.execute("SELECT COALESCE(MAX(id), 0) FROM roadmap_evidence")
            return cursor.fetchone()[0]
    except OperationalError as exc:
        if isinstance(exc.__cause__, psycopg.errors.LockNotAvailable):
            return None
        raise


def documents_sweep(*, batches: int = 10) -> int:
    """Document the items past the mark, at most `batches` sets of SWEEP_BATCH; the count added.

    Idempotent: a set is written and the mark moved in one transaction.
    """
    if not is_postgres():
        return 0
    settled = _settled_max_id()
    if settled is None:
        return 0
    added = 0
    for _ in range(batches):
        with transaction.atomic(), connection.cursor() as cursor:
            mark, _ = EvidenceDocumentMark.objects.select_for_update().get_or_create(pk=1)
            if mark.evidence_id >= settled:
                break
            cursor.execute(
                "SELECT id FROM roadmap_evidence WHERE id > %s AND id <= %s"
                " ORDER BY id OFFSET %s LIMIT 1",
                [mark.evidence_id, settled, SWEEP_BATCH - 1],
            )
            found = cursor.fetchone()
            upto = found[0] if found else settled
            cursor.execute(
                f"{INSERT_SQL} WHERE id > %s AND id <= %s ON CONFLICT (evidence_id) DO NOTHING",
                [mark.evidence_id, upto],
            )
            added += cursor.rowcount
            mark.evidence_id = upto
            mark.swept_at = timezone.now()
            mark.save(update_fields=["evidence_id", "swept_at"])
    return added


def documents_refresh(evidence_ids: Iterable[int]) -> None:
    """Rewrite these items' documents from their text as it now is (call after a text edit)."""
    ids = sorted(set(evidence_ids))
    if not ids or not is_postgres():
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"{INSERT_SQL} WHERE id = ANY(%s)"
            " ON CONFLICT (evidence_id) DO UPDATE SET document = EXCLUDED.document",
            [ids],
        )


def documents_forget() -> None:
    """Drop every document and move the mark back to 0: the sweep documents everything again.

    For evidence loaded with ids of its own (a workspace import), which may be
    the ids of other items' documents.
    """
    EvidenceDocument.objects.all().delete()
    EvidenceDocumentMark.objects.update_or_create(pk=1, defaults={"evidence_id": 0})
