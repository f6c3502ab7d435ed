"""An objective's page (its key results with their check-ins, its history), new, delete,
and "Preview the ranking" for its edit form (okrs.previews; nothing written).

Forms post with htmx: a refused form comes back as its own card (422 with the
field errors, 409 with the other person's values next to the typed ones) and
a saved one sends the browser to the page that shows the result.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from audit.selectors import history_rows
from okrs import previews, services
from okrs.forms import KeyResultCreateForm, ObjectiveCreateForm, ObjectiveForm
from okrs.models import Objective
from okrs.permissions import can_edit_okrs
from okrs.selectors import (
    check_ins_for_key_results,
    objective_detail_get_for_user,
    objective_get_for_user,
    objective_history,
)
from web.forms import apply_service_errors, conflict_rows
from web.htmx import redirect_after_write

from ._access import editor_required, viewer_required

HISTORY_PAGE_SIZE = 20
CHECK_INS_SHOWN = 5


def objective_url(objective_id: int) -> str:
    return reverse("okrs:objective", args=[objective_id])


def key_result_entries(viewer, key_results) -> list[dict]:
    """Each key result with its latest check-ins, newest first (one query for all), and
    whether it has more (its page lists them all)."""
    check_ins = check_ins_for_key_results(
        viewer=viewer,
        key_result_ids=[kr.pk for kr in key_results],
        per_key_result=CHECK_INS_SHOWN + 1,
    )
    entries = []
    for kr in key_results:
        recent = check_ins.get(kr.pk, [])[::-1]
        entries.append(
            {
                "kr": kr,
                "check_ins": recent[:CHECK_INS_SHOWN],
                "more_check_ins": len(recent) > CHECK_INS_SHOWN,
            }
        )
    return entries


def objective_page(
    request, objective: Objective, *, form=None, conflict=None, kr_form=None, status=200
):
    editable = can_edit_okrs(request.user)
    history = Paginator(
        objective_history(viewer=request.user, objective=objective), HISTORY_PAGE_SIZE
    ).get_page(request.GET.get("history"))
    context = {
        "objective": objective,
        "editable": editable,
        "form": form or (ObjectiveForm(instance=objective) if editable else None),
        "conflict": conflict,
        "entries": key_result_entries(request.user, list(objective.key_results.all())),
        "kr_form": kr_form or (KeyResultCreateForm() if editable else None),
        "history_page": history,
        "history": history_rows(history.object_list),
    }
    return render(request, "okrs/objective_detail.html", context, status=status)


def _edit_card(request, objective, form, *, conflict=None, status):
    if not request.htmx:
        return objective_page(request, objective, form=form, conflict=conflict, status=status)
    context = {"objective": objective, "form": form, "conflict": conflict}
    return render(request, "okrs/_objective_edit.html", context, status=status)


@require_http_methods(["GET", "POST"])
@viewer_required
def objective_detail(request, pk: int):
    objective = objective_detail_get_for_user(viewer=request.user, pk=pk)
    if request.method == "GET":
        return objective_page(request, objective)
    if not can_edit_okrs(request.user):
        raise PermissionDenied
    form = ObjectiveForm(request.POST, instance=objective)
    if not form.is_valid():
        return _edit_card(request, objective, form, status=422)
    try:
        services.objective_update(
            actor=request.user,
            objective=objective,
            data=form.changes(),
            expected_version=form.cleaned_data["version"],
        )
    except services.StaleVersion as exc:
        current = objective_detail_get_for_user(viewer=request.user, pk=pk)
        data = request.POST.copy()
        data["version"] = str(exc.current.version)
        # A fresh instance for the form: validating a bound form writes to its instance.
        retyped = ObjectiveForm(data, instance=objective_get_for_user(viewer=request.user, pk=pk))
        conflict = {"rows": conflict_rows(form, exc.current)}
        return _edit_card(request, current, retyped, conflict=conflict, status=409)
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return _edit_card(request, objective, form, status=422)
    messages.success(request, "Saved. Aligned initiatives are re-prioritised.")
    return redirect_after_write(request, objective_url(pk))


@require_POST
@editor_required
def objective_preview(request, pk: int):
    """ "Preview the ranking": the edit form, validated as a save would be; nothing written."""
    objective = objective_get_for_user(viewer=request.user, pk=pk)
    form = ObjectiveForm(request.POST, instance=objective)
    if not form.is_valid():
        return render(request, "roadmap/_preview.html", {"errors": form}, status=422)
    # The roadmap answers (registered at start-up); the partial is the one its pages use.
    body = previews.objective_edit_preview(objective=objective, data=form.changes())
    return render(request, "roadmap/_preview.html", {"preview": body, "what": "this edit"})


@require_http_methods(["GET", "POST"])
@editor_required
def objective_new(request):
    initial = {"owner": request.user}
    if request.GET.get("parent", "").isdigit():
        initial["parent"] = request.GET["parent"]
    form = ObjectiveCreateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            objective = services.objective_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Created “{objective.title}”. Now add its key results.")
            return redirect_after_write(request, objective_url(objective.pk))
    status = 422 if form.errors else 200
    if request.htmx and request.method == "POST":
        return render(request, "okrs/_objective_new_form.html", {"form": form}, status=status)
    return render(request, "okrs/objective_new.html", {"form": form}, status=status)


@require_POST
@editor_required
def objective_delete(request, pk: int):
    objective = objective_get_for_user(viewer=request.user, pk=pk)
    services.objective_delete(actor=request.user, objective=objective)
    messages.success(request, f"Deleted “{objective.title}” and its key results.")
    return redirect_after_write(request, reverse("okrs:index"))
