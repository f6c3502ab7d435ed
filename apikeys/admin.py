"""Admin for API keys: created and revoked through the services, the secret shown once.

A key is never edited: its change page is read-only, and the "Revoke" action
(or the page in the app) revokes it. Keys are not deleted, so their history stays.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.urls import reverse

from web.admin import adopt
from web.forms import apply_service_errors

from .models import ApiKey, Scope
from .services import api_key_check, api_key_create, api_key_revoke


class ApiKeyAdminForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices, widget=forms.CheckboxSelectMultiple, initial=[Scope.READ]
    )

    class Meta:
        model = ApiKey
        fields = ("user", "name", "scopes", "expires_at")

    def clean(self):
        # The service's refusals, as field errors here rather than a 500 from save_model.
        cleaned = super().clean()
        try:
            api_key_check(**{name: cleaned.get(name) for name in self.Meta.fields})
        except ValidationError as exc:
            apply_service_errors(self, exc)
        return cleaned


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyAdminForm
    list_display = (
        "name",
        "key_prefix",
        "user",
        "scope_list",
        "status",
        "expires_at",
        "last_used_at",
        "created_at",
    )
    list_filter = ("revoked_at", "expires_at")
    search_fields = ("name", "public_id", "user__username")
    list_select_related = ("user",)
    actions = ["revoke"]
    readonly_fields = (
        "key_prefix",
        "user",
        "name",
        "scope_list",
        "expires_at",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked_at",
        "revoked_by",
    )

    @admin.display(description="Key")
    def key_prefix(self, obj):
        return f"{obj.prefix}…"

    @admin.display(description="Scopes")
    def scope_list(self, obj):
        return ", ".join(obj.scopes)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ()

    def get_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ApiKeyAdminForm.Meta.fields

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:  # read-only: nothing to save
            return
        key, raw = api_key_create(actor=request.user, **form.cleaned_data)
        adopt(obj, key)
        request._new_api_key = (key, raw)

    def save_related(self, request, form, formsets, change):
        pass  # no relations; the service wrote the row

    def response_add(self, request, obj, post_url_continue=None):
        key, raw = request._new_api_key
        context = {
            **self.admin_site.each_context(request),
            "key": key,
            "raw": raw,
            "opts": self.opts,
            "title": "API key created",
            "changelist_url": reverse("admin:apikeys_apikey_changelist"),
        }
        response = TemplateResponse(request, "admin/apikeys/apikey/created.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request, queryset):
        for key in queryset:
            api_key_revoke(actor=request.user, api_key=key)
        messages.success(request, f"Revoked {queryset.count()} key(s).")
