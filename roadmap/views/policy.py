"""The scoring settings page: product edits the policy and previews it; every role reads it.

A save is the policy service (audited, everything rescored once); "Preview"
posts the same form to `scoring_preview`, which answers the ranking the
policy would give (roadmap.selectors_preview) and writes nothing. The
initiative page's "Preview" posts its edit form to `initiative_preview`.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from okrs.services import StaleVersion
from roadmap.forms import InitiativeForm
from roadmap.forms_policy import ScoringSettingsForm
from roadmap.permissions import can_edit_roadmap
from roadmap.selectors import initiative_get_for_user, segment_list
from roadmap.selectors_preview import EDITABLE, ranking_preview
from roadmap.services import policy as policy_services
from web.forms import apply_service_errors, conflict_rows

from ._access import editor_required, viewer_required


def _page(request, form=None, conflict=None, status=200):
    row = policy_services.scoring_settings_get()
    editable = can_edit_roadmap(request.user)
    context = {
        "policy": row,
        "form": form or (ScoringSettingsForm(instance=row) if editable else None),
        "conflict": conflict,
        "segments": list(segment_list(viewer=request.user)),
        "inputs": policy_services.FORMULA_INPUTS,
    }
    return render(request, "roadmap/scoring_settings.html", context, status=status)


@require_http_methods(["GET", "POST"])
@viewer_required
def scoring_settings(request):
    if request.method == "GET":
        return _page(request)
    if not can_edit_roadmap(request.user):
        raise PermissionDenied
    form = ScoringSettingsForm(request.POST, instance=policy_services.scoring_settings_get())
    if not form.is_valid():
        return _page(request, form=form, status=422)
    try:
        policy_services.scoring_policy_update(
            actor=request.user, data=form.changes(), expected_version=form.cleaned_data["version"]
        )
    except StaleVersion as exc:
        data = request.POST.copy()
        data["version"] = str(exc.current.version)
        conflict = {"rows": conflict_rows(form, exc.current)}
        return _page(
            request,
            form=ScoringSettingsForm(data, instance=policy_services.scoring_settings_get()),
            conflict=conflict,
            status=409,
        )
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return _page(request, form=form, status=422)
    messages.success(request, "Scoring policy saved: every initiative is being rescored.")
    return redirect("roadmap:scoring-settings")


@require_POST
@editor_required
def scoring_preview(request):
    form = ScoringSettingsForm(request.POST, instance=policy_services.scoring_settings_get())
    if not form.is_valid():
        return render(request, "roadmap/_preview.html", {"errors": form}, status=422)
    try:
        proposed = policy_services.scoring_settings_build(form.changes())
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return render(request, "roadmap/_preview.html", {"errors": form}, status=422)
    preview = ranking_preview(policy=policy_services.policy_of(proposed))
    return render(request, "roadmap/_preview.html", {"preview": preview, "what": "this policy"})


@require_POST
@editor_required
def initiative_preview(request, pk: int):
    initiative = initiative_get_for_user(viewer=request.user, pk=pk)
    form = InitiativeForm(request.POST, instance=initiative)
    if not form.is_valid():
        return render(request, "roadmap/_preview.html", {"errors": form}, status=422)
    edits = {k: v for k, v in form.changes().items() if k in EDITABLE}
    preview = ranking_preview(initiatives={initiative.pk: edits})
    return render(request, "roadmap/_preview.html", {"preview": preview, "what": "this edit"})
