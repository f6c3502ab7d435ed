"""CSV import in the browser: upload → map columns → preview → dry run → import.

The upload is kept (views._uploads) while the person maps the file's columns
to fields; the page shows the first rows as they would be read, a dry run
lists every bad row with its column, and the import writes all rows or none
(roadmap.services.imports). Evidence: product and marketing; initiatives:
product.
"""

from __future__ import annotations

from itertools import islice

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from roadmap.forms_imports import MappingForm, UploadForm
from roadmap.permissions import can_add_evidence_in_browser, can_edit_roadmap
from roadmap.services import imports

from ._access import viewer_required
from ._uploads import UploadGone, get_upload, save_upload

PREVIEW_ROWS = 10
KINDS = {
    "evidence": {
        "title": "Import evidence",
        "allowed": can_add_evidence_in_browser,
        "back": ("roadmap:inbox", "Evidence inbox"),
    },
    "initiatives": {
        "title": "Import initiatives",
        "allowed": can_edit_roadmap,
        "back": ("roadmap:priorities", "Priorities"),
    },
}


def _kind(user, kind: str) -> dict:
    if kind not in KINDS:
        raise Http404("No such import.")
    if not KINDS[kind]["allowed"](user):
        raise PermissionDenied("Your role may not import these.")
    spec = KINDS[kind]
    return {
        "kind": kind,
        "title": spec["title"],
        "back_url": reverse(spec["back"][0]),
        "back_label": spec["back"][1],
        "fields": imports.FORMATS[kind],
    }


@require_http_methods(["GET", "POST"])
@viewer_required
def import_upload(request, kind: str):
    context = _kind(request.user, kind)
    if request.GET.get("gone"):
        context["upload_error"] = (
            "That upload is no longer here (imported, over a day old, or from another"
            " session): upload the file again."
        )
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        stored = save_upload(request, kind, form.cleaned_data["file"])
        return redirect("roadmap:import-map", kind=kind, token=stored.token)
    return render(request, "roadmap/import_upload.html", {**context, "form": form})


def _preview(stored, kind: str, mapping: dict[str, str]) -> dict:
    """The header, the mapping's errors, and the first rows as the import would read them."""
    with stored.open() as source:
        csv_file = imports.open_csv(source)
        header = csv_file.header
        try:
            resolved = imports.resolve_mapping(kind, header, mapping)
        except imports.MappingError as exc:
            return {"header": header, "mapping_errors": exc.errors, "rows": []}
        fields = [f for f in imports.FORMATS[kind] if f.name in resolved.positions]
        rows = []
        for number, cells in islice(csv_file.rows(), PREVIEW_ROWS):
            parsed = imports.parse_row(kind, number, cells, resolved)
            rows.append(
                {
                    "number": number,
                    "cells": [
                        {
                            "value": parsed.values.get(f.name, ""),
                            "error": parsed.errors.get(f.name, ""),
                        }
                        for f in fields
                    ],
                }
            )
    return {
        "header": header,
        "mapping_errors": {},
        "columns": [(f, resolved.headers[f.name]) for f in fields],
        "rows": rows,
    }


@require_http_methods(["GET", "POST"])
@viewer_required
def import_map(request, kind: str, token: str):
    context = _kind(request.user, kind)
    try:
        stored = get_upload(request, kind, token)
    except UploadGone:
        return redirect(reverse("roadmap:import", kwargs={"kind": kind}) + "?gone=1")
    context["upload"] = stored
    try:
        with stored.open() as source:
            header = imports.open_csv(source).header
    except imports.CsvFileError as exc:
        stored.delete(request)
        context.update(form=UploadForm(), upload_error=f"{stored.name}: {exc}")
        return render(request, "roadmap/import_upload.html", context)
    form = MappingForm(request.POST or None, kind=kind, header=header)
    mapping = form.mapping()
    try:
        preview = _preview(stored, kind, mapping)
    except imports.CsvFileError as exc:
        preview = {"header": header, "mapping_errors": {}, "rows": [], "file_error": str(exc)}
    action = request.POST.get("action", "preview")
    report = None
    runnable = not preview["mapping_errors"] and "file_error" not in preview
    if request.method == "POST" and action in ("dry_run", "import") and runnable:
        with stored.open() as source:
            report = imports.IMPORTERS[kind](
                actor=request.user, source=source, mapping=mapping, dry_run=action == "dry_run"
            )
        if report.written:
            stored.delete(request)
            return render(request, "roadmap/import_done.html", {**context, "report": report})
    return render(
        request,
        "roadmap/import_map.html",
        {
            **context,
            "form": form,
            "mapping_rows": form.rows(preview["mapping_errors"]),
            "preview": preview,
            "report": report,
            "action": action,
        },
    )
