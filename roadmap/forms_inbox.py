"""The evidence inbox's filters, triage edits and bulk actions."""

from __future__ import annotations

from django import forms
from django.urls import reverse_lazy

from roadmap.models import Customer, Evidence, Initiative, Segment
from roadmap.models.ranks import RANK_ORDER
from web.widgets import SearchSelect

STATES = [
    ("inbox", "Inbox"),
    ("linked", "Linked"),
    ("dismissed", "Dismissed"),
    ("all", "Everything"),
]


def initiative_label(initiative) -> str:
    return f"#{initiative.rank} {initiative.title}" if initiative.rank else initiative.title


def customer_label(customer) -> str:
    return customer.name


class InitiativePick(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return initiative_label(obj)


def initiative_picker(**kwargs) -> InitiativePick:
    return InitiativePick(
        queryset=Initiative.objects.exclude(status=Initiative.Status.ARCHIVED)
        .order_by(*RANK_ORDER)
        .only("id", "title", "rank_key")
        .with_ranks(),
        widget=SearchSelect(search_url=reverse_lazy("roadmap:pick-initiatives")),
        **kwargs,
    )


def customer_picker(**kwargs) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=Customer.objects.order_by("name", "id").only("id", "name"),
        widget=SearchSelect(search_url=reverse_lazy("roadmap:pick-customers")),
        **kwargs,
    )


class InboxFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search")
    state = forms.ChoiceField(choices=STATES, required=False, label="Show")
    source = forms.ChoiceField(
        choices=[("", "Any source"), *Evidence.Source.choices], required=False
    )
    importance = forms.ChoiceField(
        choices=[("", "Any importance"), *Evidence.Importance.choices], required=False
    )
    segment = forms.ModelChoiceField(
        queryset=Segment.objects.order_by("name"), required=False, empty_label="Any segment"
    )
    customer = customer_picker(required=False, empty_label="Any customer")
    received_after = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    received_before = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    def filters(self) -> dict:
        """The valid filters (a bad one is dropped, and shown as an error, not the others)."""
        self.is_valid()
        data = {k: v for k, v in getattr(self, "cleaned_data", {}).items() if v not in (None, "")}
        for name in ("segment", "customer"):
            if name in data:
                data[name] = data[name].pk
        data.setdefault("state", "inbox")
        return data

    def query(self) -> dict:
        """The filters as the address carries them: the default state left out."""
        return {k: v for k, v in self.filters().items() if not (k == "state" and v == "inbox")}


class BulkForm(forms.Form):
    """What to do, and to which items: the ticked ones, or everything the filter matches."""

    ACTIONS = [
        ("link", "Link to…"),
        ("unlink", "Unlink"),
        ("dismiss", "Dismiss"),
        ("restore", "Restore"),
    ]

    action = forms.ChoiceField(choices=ACTIONS)
    scope = forms.ChoiceField(
        choices=[("selected", "Selected"), ("matching", "All matching")], required=False
    )
    evidence = forms.ModelMultipleChoiceField(queryset=Evidence.objects.only("id"), required=False)
    initiative = initiative_picker(required=False, empty_label="Link to initiative…")
    reason = forms.ChoiceField(
        choices=[("", "Reason…"), *Evidence.Dismissal.choices], required=False
    )

    def clean(self):
        data = super().clean()
        if data.get("action") == "link" and not data.get("initiative"):
            self.add_error("initiative", "Choose an initiative to link to.")
        if data.get("action") == "dismiss" and not data.get("reason"):
            self.add_error("reason", "Say why: won't do, duplicate or spam.")
        if data.get("scope", "selected") != "matching" and not data.get("evidence"):
            self.add_error("evidence", "Select at least one evidence item.")
        return data


class EvidenceEditForm(forms.ModelForm):
    customer = customer_picker(required=False, empty_label="No customer")

    class Meta:
        model = Evidence
        fields = ["text", "source", "importance", "score", "customer", "received_at"]
        widgets = {
            "text": forms.Textarea(attrs={"rows": 3}),
            "received_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
        }
