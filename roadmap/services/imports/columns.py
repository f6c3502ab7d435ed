"""What a CSV import reads: each format's fields, how a cell becomes a value, the mapping.

A format is a list of `Field`s. A mapping names, for each field, the file's
column that holds it; without one, a column whose header is the field's name
or label (any case, spaces or hyphens for underscores) maps to it. A cell
becomes a value by its field's `parse`, which raises `CellError` with a
message for the person who made the file. An empty cell is "not given": the
default for a new item, unchanged for an initiative being updated.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from roadmap.models import Evidence, Initiative


class CellError(ValueError):
    """A cell that cannot be read as its field's value; the message says why."""


class MappingError(ValueError):
    """A mapping that cannot work with this file: errors by field (or "mapping")."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    parse: Callable[[str], object]
    required: bool = False
    help: str = ""


def text(limit: int) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if len(value) > limit:
            raise CellError(f"At most {limit:,} characters; this cell has {len(value):,}.")
        return value

    return parse


def choice(choices, *, extra: dict[str, object] | None = None) -> Callable[[str], object]:
    """A value or its label, any case: `support` and `Support ticket` are the same source."""
    known: dict[str, object] = {}
    for value, label in choices:
        known[_key(str(value))] = value
        known[_key(str(label))] = value
    known.update({_key(name): value for name, value in (extra or {}).items()})
    allowed = ", ".join(str(value) for value, _ in choices)

    def parse(cell: str) -> object:
        try:
            return known[_key(cell)]
        except KeyError:
            raise CellError(f"“{cell[:50]}” is not one of: {allowed}.") from None

    return parse


_THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")


def number(cell: str) -> float:
    """A decimal number; `1,500` (thousands separated by commas) is 1500."""
    if _THOUSANDS.match(cell):
        cell = cell.replace(",", "")
    try:
        value = float(cell)
    except ValueError:
        raise CellError(f"“{cell[:50]}” is not a number.") from None
    if not math.isfinite(value):
        raise CellError(f"“{cell[:50]}” is not a finite number.")
    return value


def integer(cell: str) -> int:
    value = number(cell)
    if value != int(value):
        raise CellError(f"“{cell[:50]}” is not a whole number.")
    return int(value)


def moment(cell: str) -> datetime:
    """ISO 8601: a date (2026-11-30, midnight) or a date and time (2026-11-30 14:05,
    2026-11-30T14:05:00Z, ...+01:00); without an offset, in the app's time zone."""
    try:
        value = datetime.fromisoformat(cell)
    except ValueError:
        raise CellError(
            f"“{cell[:50]}” is not a date: use 2026-11-30 or 2026-11-30T14:05:00Z (ISO 8601)."
        ) from None
    if value.tzinfo is None:
        value = timezone.make_aware(value)
    return value


def _key(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


IMPACTS = {value: value for value, _ in Initiative.IMPACT_CHOICES}
IMPACT_NAMES = {
    **{_key(label): value for value, label in Initiative.IMPACT_CHOICES},
    **{_key(label.split(" (")[0]): value for value, label in Initiative.IMPACT_CHOICES},
}


def _impact(cell: str) -> float:
    """0.25, 0.5, 1, 2 or 3, or its name (minimal … massive) or label (High (2))."""
    value = IMPACT_NAMES.get(_key(cell))
    if value is None:
        try:
            value = IMPACTS.get(number(cell))
        except CellError:
            value = None
    if value is None:
        raise CellError(
            f"“{cell[:50]}” is not an impact: 0.25, 0.5, 1, 2 or 3 (minimal, low, medium, high,"
            " massive)."
        )
    return value


EXTERNAL_ID = 200

EVIDENCE_FIELDS = [
    Field(
        "external_id",
        "External id",
        text(EXTERNAL_ID),
        help="Your id: importing it again updates the item",
    ),
    Field("source", "Source", choice(Evidence.Source.choices), required=True),
    Field("text", "Text", text(20_000), required=True),
    Field(
        "importance", "Importance", choice(Evidence.Importance.choices), help="important when empty"
    ),
    Field(
        "received_at", "Received at", moment, help="ISO 8601 date or date and time; now when empty"
    ),
    Field("score", "Score", integer, help="nps: 0 to 10; survey: 1 to 5"),
    Field(
        "customer_external_id",
        "Customer external id",
        text(EXTERNAL_ID),
        help="Created on first sight",
    ),
    Field(
        "customer_name", "Customer name", text(200), help="For a customer created on first sight"
    ),
    Field(
        "customer_segment",
        "Customer segment",
        text(100),
        help="A segment's name, for a new customer",
    ),
    Field("initiative", "Initiative", integer, help="Initiative id to link to"),
    Field(
        "initiative_external_id",
        "Initiative external id",
        text(EXTERNAL_ID),
        help="Or the initiative's external id",
    ),
]

INITIATIVE_FIELDS = [
    Field(
        "external_id",
        "External id",
        text(EXTERNAL_ID),
        help="Your id: importing it again updates the initiative",
    ),
    Field("title", "Title", text(200), help="Required for a new initiative"),
    Field("description", "Description", text(20_000)),
    Field("status", "Status", choice(Initiative.Status.choices)),
    Field("lane", "Lane", choice(Initiative.Lane.choices)),
    Field("target_quarter", "Target quarter", text(7), help="e.g. 2026-Q4"),
    Field("team", "Team", text(100)),
    Field("owner", "Owner", text(150), help="A user name"),
    Field("reach", "Reach", number),
    Field(
        "impact",
        "Impact",
        _impact,
        help="0.25, 0.5, 1, 2, 3 or minimal, low, medium, high, massive",
    ),
    Field("confidence", "Confidence", number, help="Percent, more than 0 and at most 100"),
    Field("effort", "Effort", number, help="Person-months"),
    Field("reach_source", "Reach source", choice(Initiative.ReachSource.choices)),
    Field("ease", "Ease", number, help="ICE ease, 1 to 10"),
    Field("business_value", "Business value", integer),
    Field("time_criticality", "Time criticality", integer),
    Field("risk_reduction", "Risk reduction", integer),
    Field("job_size", "Job size", integer),
]

FORMATS: dict[str, list[Field]] = {"evidence": EVIDENCE_FIELDS, "initiatives": INITIATIVE_FIELDS}


@dataclass(frozen=True)
class Mapping:
    """Which column (by position) each field reads, and its header for messages."""

    positions: dict[str, int]
    headers: dict[str, str]

    def column(self, field: str | None) -> str | None:
        return self.headers.get(field) if field else None


def auto_mapping(kind: str, header: list[str]) -> dict[str, str]:
    """Field -> column for the columns named as a field (its name or label, any case)."""
    keys = {_key(f.name): f.name for f in FORMATS[kind]}
    keys.update({_key(f.label): f.name for f in FORMATS[kind]})
    mapping: dict[str, str] = {}
    for name in header:
        field = keys.get(_key(name))
        if field and field not in mapping and name.strip():
            mapping[field] = name.strip()
    return mapping


def resolve_mapping(kind: str, header: list[str], given: dict[str, str] | None) -> Mapping:
    """The mapping to use: the given one (field -> header), else headers matched by name.

    Raises MappingError naming each field whose column is not in the file, each
    unknown field, and each required field left unmapped.
    """
    fields = {f.name: f for f in FORMATS[kind]}
    by_header = {}
    for position, name in enumerate(header):
        by_header.setdefault(name.strip(), position)
    errors: dict[str, str] = {}
    positions: dict[str, int] = {}
    if given:
        for name, column in given.items():
            if name not in fields:
                errors[name] = f"Not a field of the {kind} format."
            elif column in ("", None):
                continue
            elif column.strip() not in by_header:
                errors[name] = f"The file has no column “{column}”."
            else:
                positions[name] = by_header[column.strip()]
    else:
        positions = {name: by_header[column] for name, column in auto_mapping(kind, header).items()}
    for field in fields.values():
        if field.required and field.name not in positions and field.name not in errors:
            errors[field.name] = "Required: map a column to it."
    if kind == "initiatives" and not {"title", "external_id"} & set(positions):
        errors.setdefault("title", "Map a column to the title (or to the external id, to update).")
    if errors:
        raise MappingError(errors)
    return Mapping(positions, {name: header[pos].strip() for name, pos in positions.items()})


@dataclass(frozen=True)
class ParsedRow:
    """A data row read through the mapping: the row number as a spreadsheet shows it
    (the header is row 1), the values given, and the cell errors by field."""

    number: int
    values: dict[str, object]
    errors: dict[str, str]


def parse_row(kind: str, number: int, cells: list[str], mapping: Mapping) -> ParsedRow:
    values: dict[str, object] = {}
    errors: dict[str, str] = {}
    for field in FORMATS[kind]:
        position = mapping.positions.get(field.name)
        if position is None:
            continue
        cell = cells[position].strip() if position < len(cells) else ""
        if not cell:
            if field.required:
                errors[field.name] = "Required: the cell is empty."
            continue
        if "\x00" in cell:
            errors[field.name] = "The cell contains a NUL character."
            continue
        try:
            values[field.name] = field.parse(cell)
        except CellError as exc:
            errors[field.name] = str(exc)
    return ParsedRow(number, values, errors)
