"""Reading an uploaded CSV file as a stream of rows, never all of it at once.

The file is UTF-8 (a byte order mark, as Excel writes it, is skipped). The
delimiter is the comma, or the semicolon or tab when the header line holds
more of those (spreadsheets in many locales save with semicolons). The first
non-empty line is the header. A problem with the file itself (not UTF-8, a
cell over the size limit, no header, too many rows) raises `CsvFileError`
with the row where it happened.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings

# The csv module's own cap on one cell; the longest field takes 20,000
# characters, and a quoted cell runs across lines until its closing quote.
MAX_CELL_CHARS = 100_000
NOT_UTF8 = "The file is not UTF-8 text; save it as “CSV UTF-8” and upload it again."


class CsvFileError(ValueError):
    """The file cannot be read as CSV; `row` is where it went wrong (None: before any row)."""

    def __init__(self, message: str, row: int | None = None):
        self.row = row
        super().__init__(message)


@dataclass
class CsvFile:
    """An open CSV file: its header, and its data rows as (row number, cells)."""

    header: list[str]
    _reader: Iterator[list[str]]
    _text: io.TextIOWrapper
    _number: int = 1

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """Each non-empty data row with its number as a spreadsheet shows it (header: 1)."""
        limit = settings.CSV_IMPORT_MAX_ROWS
        seen = 0
        while True:
            try:
                cells = next(self._reader)
            except StopIteration:
                return
            except UnicodeDecodeError:
                # Decoded by blocks of kilobytes: which row holds the byte is not known.
                raise CsvFileError(NOT_UTF8) from None
            except csv.Error as exc:
                raise CsvFileError(f"Not readable as CSV: {exc}.", self._number + 1) from None
            self._number += 1
            if not any(cell.strip() for cell in cells):
                continue
            seen += 1
            if seen > limit:
                raise CsvFileError(
                    f"The file has more than {limit:,} rows, the most one import takes"
                    " (CSV_IMPORT_MAX_ROWS): split it.",
                    self._number,
                )
            yield self._number, cells


def _delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def open_csv(source: BinaryIO) -> CsvFile:
    """Open the file for reading; reads the header line (and no more) at once."""
    csv.field_size_limit(MAX_CELL_CHARS)
    text = io.TextIOWrapper(source, encoding="utf-8-sig", newline="")
    try:
        first = text.readline()
        while first and not first.strip():
            first = text.readline()
    except UnicodeDecodeError:
        raise CsvFileError(NOT_UTF8) from None
    if not first.strip():
        raise CsvFileError("The file is empty: it needs a header row and at least one row.")
    delimiter = _delimiter(first)
    lines = _chain(first, text)
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise CsvFileError(f"The header row is not readable as CSV: {exc}.", 1) from None
    header = [name.strip() for name in header]
    if not any(header):
        raise CsvFileError("The first row holds no column names.", 1)
    return CsvFile(header=header, _reader=reader, _text=text)


def _chain(first: str, rest: io.TextIOWrapper) -> Iterator[str]:
    yield first
    yield from rest
