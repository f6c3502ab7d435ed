"""The CSV import's forms: the upload, and the mapping of the file's columns to fields."""

from __future__ import annotations

import io

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from roadmap.services.imports import FORMATS, CsvFileError, auto_mapping, open_csv

NOT_IMPORTED = "— not imported —"
HEAD_BYTES = 64 * 1024


class UploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8 (“CSV UTF-8” in Excel); comma, semicolon or tab separated; the first"
        " row names the columns.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.CSV_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"The file is {filesizeformat(upload.size)}; an import takes at most"
                f" {filesizeformat(limit)}. Split it into several files."
            )
        # The header now, so a file that is not CSV text is refused at once.
        head = io.BytesIO(upload.read(HEAD_BYTES))
        upload.seek(0)
        try:
            open_csv(head)
        except CsvFileError as exc:
            raise forms.ValidationError(str(exc)) from None
        return upload


class MappingForm(forms.Form):
    """One select per field of the format: which of the file's columns holds it."""

    def __init__(self, *args, kind: str, header: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        columns = [("", NOT_IMPORTED), *((name, name) for name in header if name)]
        initial = auto_mapping(kind, header)
        for field in FORMATS[kind]:
            self.fields[f"map_{field.name}"] = forms.ChoiceField(
                label=field.label + (" *" if field.required else ""),
                choices=columns,
                required=False,
                initial=initial.get(field.name, ""),
                help_text=field.help,
            )
        self.kind = kind

    def mapping(self) -> dict[str, str]:
        """Field -> column, as chosen (or as the form starts, when not sent)."""
        if self.is_bound and self.is_valid():
            data = self.cleaned_data
            values = {name.removeprefix("map_"): value for name, value in data.items()}
        else:
            values = {name.removeprefix("map_"): f.initial for name, f in self.fields.items()}
        return {field: column for field, column in values.items() if column}

    def rows(self, errors: dict[str, str]) -> list[tuple]:
        """(bound field, the mapping's error for it or "") per field, for the template."""
        return [(self[f"map_{f.name}"], errors.get(f.name, "")) for f in FORMATS[self.kind]]
