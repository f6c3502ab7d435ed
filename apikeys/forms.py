from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone

from .models import Scope
from .selectors import integration_accounts

EXPIRY_CHOICES = [
    ("", "Never"),
    ("7", "In 7 days"),
    ("30", "In 30 days"),
    ("90", "In 90 days"),
    ("365", "In a year"),
]


class ApiKeyCreateForm(forms.Form):
    user = forms.ModelChoiceField(
        queryset=integration_accounts(), label="Integration account", empty_label=None
    )
    name = forms.CharField(
        max_length=100, help_text="What uses it, e.g. “Zendesk sync”.", strip=True
    )
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[Scope.READ, Scope.INGEST],
        help_text="A key never does more than its account's role allows.",
    )
    expires_in = forms.ChoiceField(choices=EXPIRY_CHOICES, required=False, label="Expires")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A fresh queryset per form: accounts join and leave the group.
        self.fields["user"].queryset = integration_accounts()

    def changes(self) -> dict:
        days = self.cleaned_data.get("expires_in")
        return {
            "user": self.cleaned_data["user"],
            "name": self.cleaned_data["name"],
            "scopes": self.cleaned_data["scopes"],
            "expires_at": timezone.now() + timedelta(days=int(days)) if days else None,
        }
