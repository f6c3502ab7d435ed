"""CSV imports: POST /api/v1/imports/{evidence,initiatives}/ (a file, a mapping, ?dry_run=1).

The file comes as the body (`Content-Type: text/csv`) or as the `file` part of
a multipart form. The mapping names, per field, the file's column:
`map=text:Comment` (repeatable, in the query string or as form fields);
without one, columns named as the fields map themselves. A dry run answers
200 with the report (counts, and each bad row with its column) and writes
nothing; an import answers 200 with the report when every row was good, and
a 400 naming each bad row when any was not (then nothing was written).
"""

from __future__ import annotations

import tempfile

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from api.autoschema import ERROR_RESPONSES, PriorityAutoSchema
from api.errors import BatchInvalid
from roadmap.services import imports

from ..permissions import CanAddEvidence, CanEditRoadmap

QUERY_PARAMETERS = {"dry_run", "map"}
TRUE, FALSE = {"1", "true", "yes"}, {"0", "false", "no", ""}
# Spooled in memory up to this, then on disk.
SPOOL_BYTES = 1024 * 1024


class FileTooLarge(APIException):
    status_code = 413
    default_code = "file_too_large"


def too_large(size: int | None) -> FileTooLarge:
    limit = settings.CSV_IMPORT_MAX_BYTES
    got = f"{size:,} bytes" if size is not None else "over the limit"
    return FileTooLarge(
        f"The file is {got}; a CSV import takes at most {limit:,} bytes"
        " (CSV_IMPORT_MAX_BYTES). Split it into several files."
    )


class CsvParser(BaseParser):
    """A text/csv body, spooled to a temporary file (never whole in memory)."""

    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.CSV_IMPORT_MAX_BYTES
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - returned
        size = 0
        while stream is not None and (block := stream.read(64 * 1024)):
            size += len(block)
            if size > limit:
                spool.close()
                raise too_large(None)
            spool.write(block)
        spool.seek(0)
        return {"file": spool}


class OctetStreamCsvParser(CsvParser):
    """The same raw CSV body sent as application/octet-stream (as generated clients send a file)."""

    media_type = "application/octet-stream"


class ImportReportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(
        allow_null=True, help_text="As a spreadsheet numbers it (the header is row 1)"
    )
    column = serializers.CharField(allow_null=True, help_text="The file's column")
    field = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class ImportReportSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["evidence", "initiatives"])
    dry_run = serializers.BooleanField()
    written = serializers.BooleanField(help_text="Whether the rows were stored")
    mapping = serializers.DictField(
        child=serializers.CharField(), help_text="Field to column, as used"
    )
    rows = serializers.IntegerField(help_text="Data rows read")
    created = serializers.IntegerField(help_text="Created (on a dry run: would be)")
    updated = serializers.IntegerField(help_text="Updated by external id (on a dry run: would be)")
    bad_rows = serializers.IntegerField()
    error_count = serializers.IntegerField()
    errors_truncated = serializers.BooleanField(
        help_text="More errors than listed (CSV_IMPORT_MAX_ERRORS)"
    )
    errors = ImportReportErrorSerializer(many=True)


class ImportView(APIView):
    kind = ""
    schema = PriorityAutoSchema()
    parser_classes = [CsvParser, OctetStreamCsvParser, MultiPartParser]

    def post(self, request, *args, **kwargs):
        unknown = sorted(set(request.query_params) - QUERY_PARAMETERS)
        if unknown:
            raise ValidationError({name: ["Unknown query parameter."] for name in unknown})
        dry_run = _dry_run(request)
        mapping = _mapping(request)
        upload = request.data.get("file") if hasattr(request.data, "get") else None
        if upload is None:
            raise ValidationError(
                {"file": ["Send the CSV as the body (text/csv) or as the multipart part “file”."]}
            )
        size = getattr(upload, "size", None)
        if size is not None and size > settings.CSV_IMPORT_MAX_BYTES:
            raise too_large(size)
        importer = imports.IMPORTERS[self.kind]
        try:
            report = importer(
                actor=request.user,
                source=getattr(upload, "file", upload),
                mapping=mapping,
                dry_run=dry_run,
            )
        except imports.CsvFileError as exc:
            raise ValidationError({"file": [_at_row(exc.row, str(exc))]}) from exc
        except imports.MappingError as exc:
            raise ValidationError(
                {"map": {field: [message] for field, message in exc.errors.items()}}
            ) from exc
        finally:
            upload.close()
        if not report.ok and not dry_run:
            raise rows_error(report)
        return Response(report.as_dict())


def _at_row(row: int | None, message: str) -> str:
    return message if row is None else f"Row {row}: {message}"


def rows_error(report: imports.ImportReport) -> ValidationError:
    """Every listed bad row by number, each message naming its column; nothing was written."""
    rows: dict[str, dict[str, list[str]]] = {}
    for error in report.sorted_errors():
        key = "file" if error.row is None else str(error.row)
        message = f"Column “{error.column}”: {error.message}" if error.column else error.message
        rows.setdefault(key, {}).setdefault(error.field or "row", []).append(message)
    more = " (the first are listed)" if report.error_count > len(report.errors) else ""
    return BatchInvalid(
        {"rows": rows},
        summary=f"{len(report.bad_rows)} of {report.rows} rows are invalid{more};"
        " nothing was written.",
    )


def _dry_run(request) -> bool:
    value = request.query_params.get("dry_run", "").strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ValidationError({"dry_run": ["Use dry_run=1 (check only) or dry_run=0."]})


def _mapping(request) -> dict[str, str] | None:
    pairs = request.query_params.getlist("map")
    if hasattr(request.data, "getlist"):
        pairs += request.data.getlist("map")
    if not pairs:
        return None
    mapping, bad = {}, []
    for pair in pairs:
        field, sep, column = pair.partition(":")
        if not sep or not field.strip():
            bad.append(f"“{pair[:60]}” is not field:column (e.g. text:Comment).")
        else:
            mapping[field.strip()] = column
    if bad:
        raise ValidationError({"map": bad})
    return mapping


def _schema(kind: str, fields: list[imports.Field]):
    listing = "; ".join(
        f"`{f.name}`{' (required)' if f.required else ''}{': ' + f.help if f.help else ''}"
        for f in fields
    )
    return extend_schema(
        operation_id=f"imports_{kind}_create",
        summary=f"Import {kind} from CSV",
        description=(
            f"Import {kind} from a CSV file (UTF-8; comma, semicolon or tab separated; the"
            " first row names the columns). All rows or none: with any bad row nothing is"
            " written and the 400 names each row and column. A row whose `external_id` is"
            " already stored updates it. `?dry_run=1` checks everything the import would and"
            " answers the report, writing nothing. Map fields to columns with"
            " `map=field:Column` (repeatable); columns named as the fields map themselves."
            f" Fields: {listing}. docs/CSV.md has the formats. The file is the body"
            " (`Content-Type: text/csv` or `application/octet-stream`) or the multipart"
            " part `file`."
        ),
        parameters=[
            OpenApiParameter("dry_run", OpenApiTypes.BOOL, description="Check only; write nothing"),
            OpenApiParameter(
                "map",
                OpenApiTypes.STR,
                many=True,
                description="field:Column, e.g. text:Comment (repeatable)",
            ),
        ],
        # The raw body is documented as application/octet-stream, which client
        # generators know; `Content-Type: text/csv` is taken the same way.
        request={
            "application/octet-stream": OpenApiTypes.BINARY,
            "multipart/form-data": {
                "type": "object",
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "map": {"type": "array", "items": {"type": "string"}},
                },
                "required": ["file"],
            },
        },
        responses={
            200: ImportReportSerializer,
            **{code: ERROR_RESPONSES[code] for code in ("400", "401", "403")},
            413: OpenApiResponse(description="The file is over CSV_IMPORT_MAX_BYTES."),
        },
        tags=["imports"],
    )


class EvidenceImportView(ImportView):
    """Evidence from CSV: every role that may add evidence."""

    kind = "evidence"
    permission_classes = [IsAuthenticated, CanAddEvidence]

    @_schema("evidence", imports.FORMATS["evidence"])
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class InitiativeImportView(ImportView):
    """Initiatives from CSV: product only."""

    kind = "initiatives"
    permission_classes = [IsAuthenticated, CanEditRoadmap]

    @_schema("initiatives", imports.FORMATS["initiatives"])
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
