"""Initiatives from a CSV file, one row at a time through initiative_create / _update.

A row whose external id is stored (or came earlier in the file) updates that
initiative with the cells it gives; any other row creates one. Each row goes
through the services (validation, audit, rescore mark, causes), inside one
transaction that is rolled back at the end when any row was bad or on a dry run.
"""

from __future__ import annotations

from itertools import islice
from typing import BinaryIO

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from roadmap.models import Initiative

from ..initiatives import initiative_create, initiative_update
from .columns import Mapping, ParsedRow, parse_row, resolve_mapping
from .reader import CsvFileError, open_csv
from .report import ImportReport

KIND = "initiatives"
CHUNK = 500


def initiative_import(
    *, actor, source: BinaryIO, mapping: dict[str, str] | None = None, dry_run: bool = False
) -> ImportReport:
    """Import initiatives from CSV: all rows or none; a known external id updates."""
    report = ImportReport(kind=KIND, dry_run=dry_run)
    csv_file = open_csv(source)
    resolved = resolve_mapping(KIND, csv_file.header, mapping)
    report.mapping = dict(resolved.headers)
    rows = csv_file.rows()
    with transaction.atomic():
        try:
            while chunk := [
                parse_row(KIND, n, cells, resolved) for n, cells in islice(rows, CHUNK)
            ]:
                report.rows += len(chunk)
                _import_chunk(actor, chunk, resolved, report)
        except CsvFileError as exc:
            report.add(exc.row, None, None, str(exc))
        if dry_run or not report.ok:
            transaction.set_rollback(True)
    report.written = not dry_run and report.ok
    return report


def _import_chunk(actor, chunk: list[ParsedRow], mapping: Mapping, report: ImportReport) -> None:
    external = {r.values["external_id"] for r in chunk if "external_id" in r.values}
    existing = {i.external_id: i for i in Initiative.objects.filter(external_id__in=external)}
    names = {r.values["owner"] for r in chunk if "owner" in r.values}
    users = {
        u.get_username(): u
        for u in get_user_model().objects.filter(
            **{f"{get_user_model().USERNAME_FIELD}__in": names}
        )
    }
    for row in chunk:
        errors = dict(row.errors)
        data = dict(row.values)
        if "owner" in data:
            data["owner"] = users.get(data["owner"])
            if data["owner"] is None:
                errors["owner"] = f"No user named “{row.values['owner']}”."
        current = existing.get(data.get("external_id"))
        if current is None and "title" not in data and "title" not in errors:
            errors["title"] = "Required for a new initiative: the cell is empty."
        if errors:
            for field, message in errors.items():
                report.add(row.number, mapping.column(field), field, message)
            continue
        try:
            if current is None:
                created = initiative_create(actor=actor, **data)
                report.created += 1
                if created.external_id:
                    existing[created.external_id] = created
            else:
                data.pop("external_id")
                existing[current.external_id] = initiative_update(
                    actor=actor, initiative=current, data=data
                )
                report.updated += 1
        except ValidationError as exc:
            _add_service_errors(report, row.number, mapping, exc)


def _add_service_errors(report: ImportReport, number: int, mapping: Mapping, exc: ValidationError):
    if not hasattr(exc, "error_dict"):
        for message in exc.messages:
            report.add(number, None, None, message)
        return
    for field, messages in exc.message_dict.items():
        field_name = None if field == "__all__" else field
        column = mapping.column(field_name)
        for message in messages:
            report.add(number, column, field_name, message)
