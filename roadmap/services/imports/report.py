"""What an import (or its dry run) answers: counts, and every bad row with its column."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from django.conf import settings


@dataclass(frozen=True)
class RowError:
    """One problem: the row as a spreadsheet numbers it (header: 1; None for the whole
    file), the file's column (None when it is not one column's), the field, and why."""

    row: int | None
    column: str | None
    field: str | None
    message: str


@dataclass
class ImportReport:
    kind: str
    dry_run: bool
    mapping: dict[str, str] = field(default_factory=dict)  # field -> column
    rows: int = 0
    created: int = 0  # on a dry run: would be created
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0  # may exceed len(errors): see `add`
    bad_rows: set[int] = field(default_factory=set)
    written: bool = False

    def add(self, row: int | None, column: str | None, field: str | None, message: str) -> None:
        """Count every error; keep the first CSV_IMPORT_MAX_ERRORS to show."""
        self.error_count += 1
        if row is not None:
            self.bad_rows.add(row)
        if len(self.errors) < settings.CSV_IMPORT_MAX_ERRORS:
            self.errors.append(RowError(row, column, field, message))

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def sorted_errors(self) -> list[RowError]:
        """By row (the file's own problems first), then as found."""
        return sorted(self.errors, key=lambda e: -1 if e.row is None else e.row)

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "dry_run": self.dry_run,
            "written": self.written,
            "mapping": self.mapping,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "bad_rows": len(self.bad_rows),
            "error_count": self.error_count,
            "errors_truncated": self.error_count > len(self.errors),
            "errors": [asdict(e) for e in self.sorted_errors()],
        }
