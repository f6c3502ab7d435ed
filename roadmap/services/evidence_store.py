"""How evidence rows get in and out of the table, fast: field checks, COPY, one UPDATE.

The mechanics of `evidence_ingest` (roadmap.services.evidence), kept apart from
its rules. Rows are plain dicts (field attname to value): a model instance per
item cost a fifth of a 500-item request.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import psycopg
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import IntegrityError, connection, models

import bounds
from roadmap.models import Customer, Evidence, PendingEvidence, Segment

from .sql import copy_line, db_timestamp, dumps, ids_param, in_ids_sql, is_postgres, json_rows_sql

EVIDENCE_FIELDS = ("source", "text", "importance", "received_at")

# The fields an item sets. The related objects are instances the caller already
# holds; checking that each still exists would cost a query per item (3,000 for
# a full batch), and the foreign keys refuse a vanished one at insert.
CLEANED_FIELDS = [
    Evidence._meta.get_field(name) for name in (*EVIDENCE_FIELDS, "external_id", "score")
]


def plainly_valid(field: models.Field) -> Callable[[object, datetime], bool]:
    """A check of (value, latest event date) that accepts only what `field.clean` would return.

    Text of the right type, length and choice, and aware datetimes within the
    event bounds, pass at once; anything else (and any field with other
    validators) goes through `field.clean`, which words the error. The latest
    date is taken once per batch (a clock read per item costs milliseconds a batch).
    """
    limits = field.validators
    if isinstance(field, models.CharField | models.TextField) and all(
        isinstance(v, MaxLengthValidator) for v in limits
    ):
        choices = {str(value) for value, _ in field.flatchoices} if field.choices else None
        limit = field.max_length if limits else None
        blank = field.blank

        def text(value, latest) -> bool:
            return (
                type(value) is str
                and (blank or value != "")
                and (limit is None or len(value) <= limit)
                and (choices is None or value in choices)
            )

        return text
    if type(field) is models.DateTimeField and all(
        isinstance(v, bounds.EventDateValidator) for v in limits
    ):
        earliest = bounds.EARLIEST
        return lambda value, latest: (
            type(value) is datetime and value.tzinfo is not None and earliest <= value <= latest
        )
    return lambda value, latest: False


PLAINLY_VALID = [(field, plainly_valid(field)) for field in CLEANED_FIELDS]


def clean_fields(row: dict, latest: datetime | None = None) -> dict[str, list[str]]:
    """What `full_clean` checks for the fields an item sets, without its per-call overhead.

    `full_clean` walks every field and builds its exclusion lists per item: a
    third of the time of a 500-item batch, for the same checks. Plainly valid
    values skip even `field.clean` (none of these fields needs the instance).
    """
    errors = {}
    latest = latest or bounds.latest()
    for field, plainly_valid in PLAINLY_VALID:
        raw = row[field.attname]
        if plainly_valid(raw, latest) or (raw in field.empty_values and field.blank):
            continue
        try:
            row[field.attname] = field.clean(raw, None)
        except ValidationError as exc:
            errors[field.name] = exc.messages
    if row["score"] is not None and "score" not in errors and "source" not in errors:
        problem = bounds.score_error(row["source"], row["score"])
        if problem:
            errors["score"] = [problem]
    return errors


COPY_COLUMNS = (
    "id",
    "source",
    "text",
    "customer_id",
    "importance",
    "received_at",
    "external_id",
    "initiative_id",
    "created_by_id",
    "created_at",
    "updated_at",
    "score",
    *Evidence.EXPERIMENT_FIELDS,
)


def insert_rows(rows: list[dict], now) -> None:
    """Insert new evidence; on PostgreSQL with COPY, the fastest way in (~1.8x INSERT).

    Rows are plain dicts (field attname to value): a model instance per item
    cost a fifth of a 500-item request. COPY returns no ids, so they are
    taken from the table's sequence first, in order, which also keeps the
    answer in the order the items came.
    """
    if not rows:
        return
    for row in rows:
        row["created_at"] = row["updated_at"] = now
    if not is_postgres():
        created = Evidence.objects.bulk_create(
            [Evidence(**{k: v for k, v in row.items() if k != "id"}) for row in rows],
            batch_size=500,
        )
        for row, evidence in zip(rows, created, strict=True):
            row["id"] = evidence.pk
        return
    with connection.cursor() as cursor:
        # The table's write lock before the ids are drawn, as an INSERT would hold
        # it: the search documents' sweep relies on it (services.evidence_search).
        cursor.execute("LOCK TABLE roadmap_evidence IN ROW EXCLUSIVE MODE")
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('roadmap_evidence', 'id'))"
            " FROM generate_series(1, %s)",
            [len(rows)],
        )
        for row, (pk,) in zip(rows, cursor.fetchall(), strict=True):
            row["id"] = pk
        try:
            with cursor.cursor.copy(
                f"COPY roadmap_evidence ({', '.join(COPY_COLUMNS)}) FROM STDIN"
            ) as copy:
                copy.write("".join(copy_line([row[c] for c in COPY_COLUMNS]) for row in rows))
        except psycopg.errors.UniqueViolation as exc:
            # COPY runs on the driver's cursor, past Django's error wrapping.
            raise IntegrityError(str(exc)) from exc


UPDATE_COLUMNS = [
    ("id", "bigint"),
    ("source", "text"),
    ("text", "text"),
    ("importance", "text"),
    ("received_at", "timestamptz"),
    ("initiative_id", "bigint"),
    ("customer_id", "bigint"),
    ("score", "smallint"),
    ("experiment_metric", "text"),
    ("experiment_variant", "text"),
    ("experiment_lift", "double precision"),
    ("experiment_ci_low", "double precision"),
    ("experiment_ci_high", "double precision"),
    ("experiment_p_value", "double precision"),
    ("experiment_sample_size", "bigint"),
]


def update_rows(rows: list[dict], now) -> None:
    """Write what items changed on existing rows (a retried or corrected batch): one UPDATE.

    `bulk_update` builds a CASE per field per row: 1.4 s of CPU for a
    retried batch of 500.
    """
    if not rows:
        return
    payload = [
        {
            **{name: row[name] for name, _ in UPDATE_COLUMNS},
            "received_at": db_timestamp(row["received_at"]),
        }
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE roadmap_evidence SET source = v.source, text = v.text,"
            " importance = v.importance, received_at = v.received_at,"
            " initiative_id = v.initiative_id, customer_id = v.customer_id, score = v.score,"
            f" {', '.join(f'{name} = v.{name}' for name in Evidence.EXPERIMENT_FIELDS)},"
            " updated_at = %s"
            f" FROM {json_rows_sql(UPDATE_COLUMNS)} WHERE roadmap_evidence.id = v.id",
            [db_timestamp(now), dumps(payload)],
        )


# An item without an experiment result, as stored.
NO_EXPERIMENT = {
    name: "" if name in ("experiment_metric", "experiment_variant") else None
    for name in Evidence.EXPERIMENT_FIELDS
}
# The result's keys as the API names them (PUT /evidence/{id}/experiment/).
RESULT_FIELDS = {name.removeprefix("experiment_"): name for name in Evidence.EXPERIMENT_FIELDS}


def apply_experiment(row: dict, result: dict | None) -> None:
    """Set the result's given fields on the row (None: clear the result); text null is ""."""
    if result is None:
        row.update(NO_EXPERIMENT)
        return
    for key, value in result.items():
        name = RESULT_FIELDS[key]
        row[name] = NO_EXPERIMENT[name] if value is None else value


def experiment_errors(row: dict) -> list[str]:
    """What the model says of the row's result (bounds, source, interval); [] when fine.

    Only rows that carry a result are checked (an instance per such row).
    """
    if all(row[name] in (None, "") for name in Evidence.EXPERIMENT_FIELDS):
        return []
    item = Evidence(
        source=row["source"], **{name: row[name] for name in Evidence.EXPERIMENT_FIELDS}
    )
    problems = []
    for name in Evidence.EXPERIMENT_FIELDS:
        try:
            Evidence._meta.get_field(name).clean(row[name], item)
        except ValidationError as exc:
            problems += [f"{RESULT_FIELDS_BY_NAME[name]}: {m}" for m in exc.messages]
    if problems:
        return problems
    try:
        item.clean_experiment()
    except ValidationError as exc:
        return exc.messages
    return []


RESULT_FIELDS_BY_NAME = {name: key for key, name in RESULT_FIELDS.items()}


def pend(evidence_ids: list[int]) -> None:
    """Queue new items for the rescore to fold into their initiatives' sums."""
    if not evidence_ids:
        return
    if not is_postgres():
        PendingEvidence.objects.bulk_create(
            [PendingEvidence(evidence_id=pk) for pk in evidence_ids], batch_size=500
        )
        return
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy("COPY roadmap_pendingevidence (evidence_id) FROM STDIN") as copy,
    ):
        copy.write("".join(f"{pk}\n" for pk in evidence_ids))


def _pk(value) -> int | None:
    """A reference given as an object or as its id."""
    return value.pk if isinstance(value, models.Model) else value


def customer_ids(external_ids) -> dict[str, int]:
    # One array parameter, not Django's `__in` (one placeholder per value, on
    # which the driver splits the statement: ~7 ms of a 500-item request).
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT external_id, id FROM roadmap_customer WHERE {in_ids_sql('external_id')}",
            [ids_param(external_ids)],
        )
        return dict(cursor.fetchall())


def resolve_customers(items: list[dict]) -> dict[str, int]:
    """Customer ids by external id, created on first sight (name, segment optional)."""
    wanted = {}
    for item in items:
        ext = item.get("customer_external_id")
        if ext and ext not in wanted:
            wanted[ext] = item
    if not wanted:
        return {}
    found = customer_ids(wanted)
    if len(found) == len(wanted):
        return found
    segments = {s.name: s for s in Segment.objects.all()}
    missing = []
    for ext, item in wanted.items():
        if ext in found:
            continue
        segment = item.get("customer_segment")
        if isinstance(segment, str):
            segment = segments.get(segment)
        customer = Customer(external_id=ext, name=item.get("customer_name") or ext, segment=segment)
        missing.append(customer)
    # Two batches naming the same new customer at once: the second waits for
    # the first to commit, skips the conflict and reads the row back.
    Customer.objects.bulk_create(missing, ignore_conflicts=True)
    found.update(customer_ids([c.external_id for c in missing]))
    return found


def existing_rows(external_ids: list[str]) -> dict[str, dict]:
    """Stored items with these external ids, locked, as rows (usually none)."""
    if not external_ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM roadmap_evidence WHERE {in_ids_sql('external_id')}"
            + (" FOR UPDATE" if is_postgres() else ""),
            [ids_param(external_ids)],
        )
        ids = [pk for (pk,) in cursor.fetchall()]
    if not ids:
        return {}
    return {
        row["external_id"]: row
        for row in Evidence.objects.filter(pk__in=ids).values(
            "external_id",
            "created_by_id",
            "dismissed_reason",
            *(name for name, _ in UPDATE_COLUMNS),
        )
    }
