"""Save the page you are looking at, open a saved view, and manage them."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from access.roles import can_view
from access.views import role_required

from . import services
from .pages import MAX_QUERY_LENGTH, PAGES
from .selectors import saved_view_get_for_user, saved_view_list


class SaveViewForm(forms.Form):
    page = forms.ChoiceField(choices=[(key, p.label) for key, p in PAGES.items()])
    name = forms.CharField(max_length=80)
    query = forms.CharField(max_length=MAX_QUERY_LENGTH, required=False)
    shared = forms.BooleanField(required=False, label="Share with the team")


# Anonymous people log in; signed-in people without a role get a 403.
team_required = role_required(can_view)


def view_url(view) -> str:
    url = reverse(PAGES[view.page].url_name)
    return f"{url}?{view.query}" if view.query else url


@require_POST
@team_required
def save(request):
    form = SaveViewForm(request.POST)
    page = request.POST.get("page")
    back = reverse(PAGES[page].url_name) if page in PAGES else reverse("saved_views:list")
    if not form.is_valid():
        messages.error(request, "; ".join(e for errs in form.errors.values() for e in errs))
        return redirect(back)
    data = form.cleaned_data
    try:
        view = services.saved_view_save(
            actor=request.user,
            page=data["page"],
            name=data["name"],
            query=data["query"],
            shared=data["shared"],
        )
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
        return redirect(back)
    messages.success(request, f"Saved “{view.name}”{' for the team' if view.shared else ''}.")
    return redirect(view_url(view))


@require_safe
@team_required
def open_view(request, pk: int):
    return redirect(view_url(saved_view_get_for_user(viewer=request.user, pk=pk)))


@require_safe
@team_required
def view_list(request):
    views = list(saved_view_list(viewer=request.user))
    for view in views:
        view.url = view_url(view)
    return render(request, "saved_views/list.html", {"views": views})


@require_POST
@team_required
def delete(request, pk: int):
    view = saved_view_get_for_user(viewer=request.user, pk=pk)
    services.saved_view_delete(actor=request.user, view=view)
    messages.success(request, f"Deleted the view “{view.name}”.")
    return redirect("saved_views:list")
