"""The in-place edit of a row that has no version column, guarded by a fingerprint.

Metrics, segments and customers are edited the same way on their pages: GET
shows the row's form; POST validates, calls the service with the fingerprint
the form was drawn from, and answers the row (422 with field errors, 409 with
both versions when someone saved in between) or, without htmx, redirects.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.forms import ModelForm
from django.http import HttpResponse

from okrs.services import StaleVersion
from web.forms import apply_service_errors, conflict_rows


def fingerprint_edit(
    request,
    *,
    form_class: type[ModelForm],
    row: Callable[[], object],
    instance: Callable[[], object],
    update: Callable[..., object],
    fingerprint: Callable[[object], str],
    respond: Callable[..., HttpResponse],
    saved: Callable[[], HttpResponse],
) -> HttpResponse:
    """Answer GET or POST for one row's edit.

    row() reads the row as its template shows it, instance() the object a form
    binds to (a fresh one each time: validating a bound form writes to it);
    update(obj, data=..., expected_fingerprint=...) is the service;
    respond(obj, **context) renders the row; saved() answers a non-htmx save.
    """
    current = row()
    if request.method == "GET":
        return respond(current, form=form_class(instance=current))
    form = form_class(request.POST, instance=instance())
    if not form.is_valid():
        return respond(current, form=form, status=422)
    try:
        update(current, data=form.changes(), expected_fingerprint=form.cleaned_data["fingerprint"])
    except StaleVersion as exc:
        data = request.POST.copy()
        data["fingerprint"] = fingerprint(exc.current)
        retyped = form_class(data, instance=instance())
        conflict = {"rows": conflict_rows(form, exc.current)}
        return respond(row(), form=retyped, conflict=conflict, status=409)
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return respond(current, form=form, status=422)
    if request.htmx:
        return respond(row(), saved=True)
    return saved()
