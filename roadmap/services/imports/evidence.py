"""Evidence from a CSV file, through the batch ingest (roadmap.services.evidence).

The file is read as a stream and handed to `evidence_ingest` in chunks of its
largest batch, inside one transaction: every chunk is written (so a later row
with the same external id updates an earlier one, as within a batch), and the
transaction is rolled back at the end when any row was bad or on a dry run.
A dry run thus checks exactly what the import would (the ingest's own checks,
the references, the external ids already stored) and writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import BinaryIO

from django.core.exceptions import PermissionDenied
from django.db import transaction

from roadmap.models import Initiative, Segment

from ..evidence import MAX_BATCH, BatchValidationError, evidence_ingest
from ..marks import initiatives_mark
from .columns import Mapping, ParsedRow, parse_row, resolve_mapping
from .reader import CsvFileError, open_csv
from .report import ImportReport

KIND = "evidence"
# The fields an item hands to the ingest as they are read.
PLAIN = (
    "external_id",
    "source",
    "text",
    "importance",
    "received_at",
    "score",
    "customer_external_id",
    "customer_name",
    "customer_segment",
)


def evidence_import(
    *, actor, source: BinaryIO, mapping: dict[str, str] | None = None, dry_run: bool = False
) -> ImportReport:
    """Import evidence from CSV: all rows or none; a repeated external id updates.

    Raises CsvFileError or MappingError (columns.py) before reading any row
    when the file or the mapping cannot work; row problems go into the report.
    """
    report = ImportReport(kind=KIND, dry_run=dry_run)
    csv_file = open_csv(source)
    resolved = resolve_mapping(KIND, csv_file.header, mapping)
    report.mapping = dict(resolved.headers)
    segments = set(Segment.objects.values_list("name", flat=True))
    marks: set[int] = set()  # initiatives to rescore afresh, marked once at the end
    with transaction.atomic():
        try:
            for chunk in _chunks(csv_file.rows(), resolved):
                report.rows += len(chunk)
                _ingest_chunk(actor, chunk, resolved, segments, report, marks)
        except CsvFileError as exc:
            report.add(exc.row, None, None, str(exc))
        if dry_run or not report.ok:
            transaction.set_rollback(True)
        else:
            initiatives_mark(ids=marks, trigger=Initiative.Trigger.EVIDENCE)
    report.written = not dry_run and report.ok
    return report


def _chunks(rows: Iterator[tuple[int, list[str]]], mapping: Mapping) -> Iterator[list[ParsedRow]]:
    while True:
        chunk = [
            parse_row(KIND, number, cells, mapping) for number, cells in islice(rows, MAX_BATCH)
        ]
        if not chunk:
            return
        yield chunk


def _initiative_ids(chunk: list[ParsedRow]) -> tuple[set[int], dict[str, int]]:
    """The initiative ids among those named that exist, and ids by external id."""
    ids = {r.values["initiative"] for r in chunk if "initiative" in r.values}
    external = {
        r.values["initiative_external_id"] for r in chunk if "initiative_external_id" in r.values
    }
    found = (
        set(Initiative.objects.filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    )
    by_external = (
        dict(Initiative.objects.filter(external_id__in=external).values_list("external_id", "pk"))
        if external
        else {}
    )
    return found, by_external


def _ingest_chunk(
    actor,
    chunk: list[ParsedRow],
    mapping: Mapping,
    segments: set[str],
    report: ImportReport,
    marks: set[int],
) -> None:
    found, by_external = _initiative_ids(chunk)
    items, rows = [], []
    for row in chunk:
        errors = dict(row.errors)
        values = row.values
        item = {name: values[name] for name in PLAIN if name in values}
        if "initiative" in values:
            if values["initiative"] not in found:
                errors["initiative"] = f"No initiative with id {values['initiative']}."
            item["initiative"] = values["initiative"]
        if "initiative_external_id" in values:
            pk = by_external.get(values["initiative_external_id"])
            if pk is None:
                errors["initiative_external_id"] = (
                    f"No initiative with external id “{values['initiative_external_id']}”."
                )
            elif "initiative" in item and item["initiative"] != pk:
                errors["initiative_external_id"] = "Names another initiative than the id does."
            item["initiative"] = pk
        if values.get("customer_segment") and values["customer_segment"] not in segments:
            errors["customer_segment"] = f"No segment named “{values['customer_segment']}”."
        for field, message in errors.items():
            report.add(row.number, mapping.column(field), field, message)
        if not errors:
            items.append(item)
            rows.append(row)
    if not items:
        return
    try:
        result = evidence_ingest(actor=actor, items=items, marks=marks)
    except BatchValidationError as exc:
        for index, problems in sorted(exc.errors.items()):
            for field, messages in problems.items():
                for message in messages if isinstance(messages, list) else [messages]:
                    report.add(rows[index].number, mapping.column(field), field, str(message))
    except PermissionDenied as exc:
        # It names the external ids; which rows carry them is the file's to say.
        report.add(None, mapping.column("external_id"), "external_id", str(exc))
    else:
        report.created += result.created
        report.updated += result.updated
