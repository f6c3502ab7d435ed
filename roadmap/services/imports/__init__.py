"""CSV imports of evidence and initiatives: mapping, dry run, per-row errors, all or nothing.

Formats (fields, required ones, how cells are read): columns.py; the stream
reader: reader.py; what an import answers: report.py. docs/CSV.md is the
user's guide to the formats.
"""

from .columns import (
    FORMATS,
    CellError,
    Field,
    Mapping,
    MappingError,
    auto_mapping,
    parse_row,
    resolve_mapping,
)
from .evidence import evidence_import
from .initiatives import initiative_import
from .reader import CsvFileError, open_csv
from .report import ImportReport, RowError

IMPORTERS = {"evidence": evidence_import, "initiatives": initiative_import}

__all__ = [
    "FORMATS",
    "IMPORTERS",
    "CellError",
    "CsvFileError",
    "Field",
    "ImportReport",
    "Mapping",
    "MappingError",
    "RowError",
    "auto_mapping",
    "evidence_import",
    "initiative_import",
    "open_csv",
    "parse_row",
    "resolve_mapping",
]
