"""The initiative page (edit with optimistic locking, alignments, evidence, history) and "new"."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from audit.selectors import audit_for_object, history_rows
from okrs.services import StaleVersion
from roadmap import scoring, services
from roadmap.forms import (
    AlignmentForm,
    ContributionForm,
    InitiativeCreateForm,
    InitiativeForm,
)
from roadmap.models import Alignment, Initiative
from roadmap.permissions import can_edit_roadmap
from roadmap.selectors import (
    evidence_list,
    initiative_get_for_user,
    initiative_quarantine,
)
from web.forms import apply_service_errors, conflict_rows

from ._access import editor_required, viewer_required
from .score_history import history_chart, timeline_page

HISTORY_PAGE_SIZE = 20
# An initiative may gather thousands of items: the page shows the newest, a page at a time.
EVIDENCE_PAGE_SIZE = 25


def _page(request, initiative: Initiative, form=None, conflict=None, status=200):
    editable = can_edit_roadmap(request.user)
    history = Paginator(audit_for_object(instance=initiative), HISTORY_PAGE_SIZE).get_page(
        request.GET.get("history")
    )
    evidence = Paginator(
        evidence_list(viewer=request.user, filters={"initiative": initiative.pk}),
        EVIDENCE_PAGE_SIZE,
    ).get_page(request.GET.get("evidence"))
    context = {
        "initiative": initiative,
        # The framework that scored it (its breakdown's), not necessarily today's policy.
        "score_label": scoring.score_label(initiative.breakdown.get("framework", "rice")),
        "form": form or (InitiativeForm(instance=initiative) if editable else None),
        "conflict": conflict,
        "alignments": list(initiative.alignments.all()),
        "alignment_form": AlignmentForm() if editable else None,
        "contributions": Alignment.Contribution.choices,
        "evidence_page": evidence,
        "evidence": list(evidence.object_list),
        "chart": history_chart(viewer=request.user, initiative_id=initiative.pk),
        **timeline_page(viewer=request.user, initiative_id=initiative.pk),
        "history_page": history,
        "history": history_rows(history.object_list),
        "quarantine": initiative_quarantine(viewer=request.user, initiative=initiative),
    }
    return render(request, "roadmap/initiative_detail.html", context, status=status)


@require_http_methods(["GET", "POST"])
@viewer_required
def initiative_detail(request, pk: int):
    initiative = initiative_get_for_user(viewer=request.user, pk=pk)
    if request.method == "GET":
        return _page(request, initiative)
    if not can_edit_roadmap(request.user):
        raise PermissionDenied
    form = InitiativeForm(request.POST, instance=initiative)
    if not form.is_valid():
        return _page(request, initiative, form=form, status=422)
    try:
        services.initiative_update(
            actor=request.user,
            initiative=initiative,
            data=form.changes(),
            expected_version=form.cleaned_data["version"],
        )
    except StaleVersion as exc:
        current = initiative_get_for_user(viewer=request.user, pk=pk)
        conflict = {"rows": conflict_rows(form, exc.current), "current": current}
        data = request.POST.copy()
        data["version"] = str(exc.current.version)
        # A fresh instance for the form: validating a bound form writes to its instance.
        return _page(
            request,
            current,
            form=InitiativeForm(data, instance=initiative_get_for_user(viewer=request.user, pk=pk)),
            conflict=conflict,
            status=409,
        )
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return _page(request, initiative, form=form, status=422)
    messages.success(request, "Saved. Scores are up to date.")
    return redirect("roadmap:initiative", pk=pk)


@require_http_methods(["GET", "POST"])
@editor_required
def initiative_new(request):
    form = InitiativeCreateForm(request.POST or None, initial={"owner": request.user})
    if request.method == "POST" and form.is_valid():
        try:
            initiative = services.initiative_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Created “{initiative.title}”.")
            return redirect("roadmap:initiative", pk=initiative.pk)
    return render(
        request,
        "roadmap/initiative_new.html",
        {"form": form},
        status=422 if form.errors else 200,
    )


def _alignment_of(initiative: Initiative, alignment_pk: int) -> Alignment:
    for alignment in initiative.alignments.all():
        if alignment.pk == alignment_pk:
            return alignment
    raise Http404("No such alignment.")


@require_POST
@editor_required
def alignment_add(request, pk: int):
    initiative = initiative_get_for_user(viewer=request.user, pk=pk)
    form = AlignmentForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a key result and a contribution.")
        return redirect("roadmap:initiative", pk=pk)
    services.alignment_set(
        actor=request.user,
        initiative=initiative,
        key_result=form.cleaned_data["key_result"],
        contribution=form.cleaned_data["contribution"],
    )
    messages.success(request, f"Aligned to “{form.cleaned_data['key_result']}”.")
    return redirect("roadmap:initiative", pk=pk)


@require_POST
@editor_required
def alignment_change(request, pk: int, alignment_pk: int):
    initiative = initiative_get_for_user(viewer=request.user, pk=pk)
    alignment = _alignment_of(initiative, alignment_pk)
    form = ContributionForm(request.POST)
    if form.is_valid():
        services.alignment_set(
            actor=request.user,
            initiative=initiative,
            key_result=alignment.key_result,
            contribution=form.cleaned_data["contribution"],
        )
        messages.success(request, "Contribution changed.")
    else:
        messages.error(request, "Choose strong, medium or weak.")
    return redirect("roadmap:initiative", pk=pk)


@require_POST
@editor_required
def alignment_remove(request, pk: int, alignment_pk: int):
    initiative = initiative_get_for_user(viewer=request.user, pk=pk)
    alignment = _alignment_of(initiative, alignment_pk)
    services.alignment_remove(actor=request.user, alignment=alignment)
    messages.success(request, f"No longer aligned to “{alignment.key_result}”.")
    return redirect("roadmap:initiative", pk=pk)
