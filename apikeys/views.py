"""The API-keys page: product lists, creates and revokes the keys of integration accounts.

A new key's secret is in the answer to the POST that created it, and nowhere
else: not in a redirect, a message or the session.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from access.roles import can_edit_roadmap
from access.views import role_required
from web.forms import apply_service_errors
from web.htmx import redirect_after_write

from .forms import ApiKeyCreateForm
from .selectors import integration_accounts_with_keys, integration_key_get
from .services import api_key_create, api_key_revoke

product_required = role_required(can_edit_roadmap)


def _render(request, *, form=None, created=None, status=200):
    context = {
        "accounts": integration_accounts_with_keys(),
        "form": form or ApiKeyCreateForm(),
        "created": created,
    }
    template = "apikeys/_keys.html" if request.htmx else "apikeys/api_keys.html"
    response = render(request, template, context, status=status)
    if created:
        response["Cache-Control"] = "no-store"  # the secret must not sit in a cache
    return response


@require_safe
@product_required
def api_keys(request):
    return _render(request)


@require_POST
@product_required
def api_key_new(request):
    form = ApiKeyCreateForm(request.POST)
    if form.is_valid():
        try:
            key, raw = api_key_create(actor=request.user, **form.changes())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return _render(request, created={"key": key, "raw": raw})
    return _render(request, form=form, status=422)


@require_POST
@product_required
def api_key_revoke_view(request, pk: int):
    key = api_key_revoke(actor=request.user, api_key=integration_key_get(pk=pk))
    messages.success(request, f"Revoked the key “{key.name}” ({key.prefix}…).")
    return redirect_after_write(request, reverse("apikeys:index"))
