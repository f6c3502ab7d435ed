"""Key results on their objective's page: add, edit in place, delete, and "Preview the
ranking" for the edit form (okrs.previews; nothing written).

An item is edited in place with htmx (`key-result-edit` answers the item as a
form, `key-result` the item as it reads); without JavaScript the same URLs
answer whole pages.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from okrs import previews, services
from okrs.forms import KeyResultCreateForm, KeyResultForm
from okrs.permissions import can_edit_okrs
from okrs.selectors import (
    key_result_get_for_user,
    objective_detail_get_for_user,
    objective_get_for_user,
)
from web.forms import apply_service_errors, conflict_rows
from web.htmx import redirect_after_write

from ._access import editor_required, viewer_required
from .key_result_page import key_result_detail
from .objectives import key_result_entries, objective_page, objective_url


def _on_own_page(request, kr) -> bool:
    """Whether the item is drawn on the key result's own page (which lists every check-in
    below it, so the item leaves out its table of recent ones)."""
    if not request.htmx:
        return True
    here = (request.htmx.current_url_abs_path or "").split("?")[0].split("#")[0]
    return here == reverse("okrs:key-result", args=[kr.pk])


def _item(request, kr, *, form=None, conflict=None, status=200, saved=False):
    entry = key_result_entries(request.user, [kr])[0]
    context = {
        "entry": entry,
        "own_page": _on_own_page(request, kr),
        "editable": can_edit_okrs(request.user),
        "form": form,
        "conflict": conflict,
        "saved": saved,
        "objective": kr.objective,
    }
    template = "okrs/_kr_item.html" if request.htmx else "okrs/key_result_page.html"
    return render(request, template, context, status=status)


@require_POST
@editor_required
def key_result_add(request, pk: int):
    objective = objective_get_for_user(viewer=request.user, pk=pk)
    form = KeyResultCreateForm(request.POST)
    if form.is_valid():
        try:
            kr = services.key_result_create(
                actor=request.user, objective=objective, **form.fields_for_service()
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Added “{kr.title}”.")
            # No fragment: the page the form is on must load again, not scroll to an anchor.
            return redirect_after_write(request, objective_url(pk))
    if request.htmx:
        context = {"objective": objective, "kr_form": form}
        return render(request, "okrs/_kr_add.html", context, status=422)
    page_objective = objective_detail_get_for_user(viewer=request.user, pk=pk)
    return objective_page(request, page_objective, kr_form=form, status=422)


@require_safe
@viewer_required
def key_result_row(request, pk: int):
    """One key result as it reads (what "Cancel" puts back); without htmx, its page."""
    if not request.htmx:
        return key_result_detail(request, pk)
    return _item(request, key_result_get_for_user(viewer=request.user, pk=pk))


@require_http_methods(["GET", "POST"])
@editor_required
def key_result_edit(request, pk: int):
    kr = key_result_get_for_user(viewer=request.user, pk=pk)
    if request.method == "GET":
        return _item(request, kr, form=KeyResultForm(instance=kr))
    form = KeyResultForm(request.POST, instance=kr)
    if not form.is_valid():
        return _item(request, kr, form=form, status=422)
    try:
        saved = services.key_result_update(
            actor=request.user,
            key_result=kr,
            data=form.changes(),
            expected_version=form.cleaned_data["version"],
        )
    except services.StaleVersion as exc:
        current = key_result_get_for_user(viewer=request.user, pk=pk)
        data = request.POST.copy()
        data["version"] = str(exc.current.version)
        retyped = KeyResultForm(data, instance=key_result_get_for_user(viewer=request.user, pk=pk))
        conflict = {"rows": conflict_rows(form, exc.current)}
        return _item(request, current, form=retyped, conflict=conflict, status=409)
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return _item(request, kr, form=form, status=422)
    if request.htmx and saved.objective_id == kr.objective_id:
        return _item(request, key_result_get_for_user(viewer=request.user, pk=pk), saved=True)
    messages.success(request, f"Saved “{saved.title}”. Aligned initiatives are re-prioritised.")
    return redirect_after_write(request, f"{objective_url(saved.objective_id)}#kr-{pk}")


@require_POST
@editor_required
def key_result_preview(request, pk: int):
    """ "Preview the ranking": the edit form, validated as a save would be; nothing written."""
    kr = key_result_get_for_user(viewer=request.user, pk=pk)
    form = KeyResultForm(request.POST, instance=kr)
    if not form.is_valid():
        return render(request, "roadmap/_preview.html", {"errors": form}, status=422)
    # The roadmap answers (registered at start-up); the partial is the one its pages use.
    body = previews.key_result_edit_preview(key_result=kr, data=form.changes())
    return render(request, "roadmap/_preview.html", {"preview": body, "what": "this edit"})


@require_POST
@editor_required
def key_result_delete(request, pk: int):
    kr = key_result_get_for_user(viewer=request.user, pk=pk)
    services.key_result_delete(actor=request.user, key_result=kr)
    messages.success(request, f"Deleted “{kr.title}”.")
    return redirect_after_write(request, objective_url(kr.objective_id))
