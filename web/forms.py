"""Form pieces both apps' pages use. Forms parse and validate; services write."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from audit.services import fingerprint


def apply_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Attach a service's ValidationError to the form: field errors where the field exists."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error)
    else:
        form.add_error(None, exc)


def trim_float_initials(form: forms.Form) -> None:
    """Show 36 rather than 36.0 in number inputs (impact keeps its float choice values)."""
    for name, value in list(form.initial.items()):
        field = form.fields.get(name)
        if isinstance(value, float) and value.is_integer() and isinstance(field, forms.FloatField):
            form.initial[name] = int(value)
    for field in form.fields.values():  # a model default, as a new object's form shows it
        value = field.initial
        if isinstance(value, float) and value.is_integer() and isinstance(field, forms.FloatField):
            field.initial = int(value)


class UniqueIdsMixin:
    """Field ids that stay unique when several of these forms share a page.

    `id_stem = "kr"` gives `kr12-title` for key result 12's form and
    `kr-new-title` for a new one; the field names stay as they are.
    """

    id_stem = ""

    def __init__(self, *args, **kwargs):
        if self.id_stem:
            instance = kwargs.get("instance")
            own = f"{self.id_stem}{instance.pk}" if instance is not None and instance.pk else None
            kwargs.setdefault("auto_id", f"{own or self.id_stem + '-new'}-%s")
        super().__init__(*args, **kwargs)


class VersionedForm(UniqueIdsMixin, forms.ModelForm):
    """A model form that carries the version it was read at (optimistic locking)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and self.instance.pk:
            self.initial["version"] = self.instance.version
        if not self.is_bound:
            trim_float_initials(self)

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields}


class FingerprintForm(UniqueIdsMixin, forms.ModelForm):
    """A model form for a row without a version column: it carries the row's fingerprint.

    `fingerprint_fields` are the fields the service fingerprints (its audited
    fields); the service compares the digest with the row's under its lock.
    """

    fingerprint_fields: list[str] = []
    fingerprint = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and self.instance.pk:
            self.initial["fingerprint"] = fingerprint(self.instance, self.fingerprint_fields)
        if not self.is_bound:
            trim_float_initials(self)

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields}


def _shown(value) -> str:
    if value in ("", None):
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def conflict_rows(form: forms.ModelForm, current) -> list[dict]:
    """What the other person saved, next to what this user typed, for the fields that differ."""
    rows = []
    for name in form._meta.fields:
        field = form.fields[name]
        theirs = getattr(current, name)
        mine = form.cleaned_data.get(name, form.data.get(name))
        if theirs != mine:
            display = getattr(current, f"get_{name}_display", None)
            if display is not None:  # a model field with choices: show labels, not values
                theirs = display()
                mine = dict(field.choices).get(mine, mine)
            rows.append({"label": field.label, "theirs": _shown(theirs), "mine": _shown(mine)})
    return rows
