"""Forms for the browser app. They parse and validate input; services do the writes."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.urls import reverse_lazy
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

import bounds
from okrs.models import KeyResult, Objective
from roadmap.models import (
    Alignment,
    Customer,
    Evidence,
    Initiative,
    Segment,
    WebhookSubscription,
)
from roadmap.models.ranks import RANK_ORDER
from roadmap.services.customers import CUSTOMER_AUDIT_FIELDS, SEGMENT_AUDIT_FIELDS
from web.forms import FingerprintForm, VersionedForm
from web.widgets import SearchSelect

RICE_FIELDS = ("reach", "impact", "confidence", "effort")
FRAMEWORK_FIELDS = ("ease", "business_value", "time_criticality", "risk_reduction", "job_size")


class InitiativeForm(VersionedForm):
    class Meta:
        model = Initiative
        fields = (
            "title",
            "description",
            "status",
            "lane",
            "target_quarter",
            "start_quarter",
            "end_quarter",
            "team",
            "owner",
            *RICE_FIELDS,
            "reach_source",
            *FRAMEWORK_FIELDS,
        )
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "target_quarter": forms.TextInput(attrs={"placeholder": "2026-Q4"}),
            "start_quarter": forms.TextInput(attrs={"placeholder": "2026-Q3"}),
            "end_quarter": forms.TextInput(attrs={"placeholder": "2026-Q4"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = (
            get_user_model().objects.filter(is_active=True).order_by("username")
        )
        self.fields["owner"].empty_label = "Nobody"
        self.fields["owner"].label_from_instance = lambda u: u.get_full_name() or u.get_username()
        for name in ("reach", "confidence", "effort"):
            self.fields[name].widget.attrs.update({"inputmode": "decimal", "step": "any"})
        explain_derived_reach(self)

    def clean(self):
        cleaned = super().clean()
        keep_derived_reach(self, cleaned)
        return cleaned


DERIVED_REACH_TYPED = (
    "Reach is derived from linked evidence; choose “Set by hand” as the reach source"
    " to type your own."
)


def explain_derived_reach(form: forms.ModelForm) -> None:
    """Reach from evidence is recomputed on every rescore: show it rounded and say so."""
    instance = form.instance
    if instance.pk and instance.reach_source == Initiative.ReachSource.EVIDENCE:
        if not form.is_bound:
            form.initial["reach"] = round(instance.reach, 2)
        form.fields["reach"].help_text = (
            "Derived from linked evidence and recomputed on every rescore; set the reach"
            " source to “Set by hand” to type your own."
        )


def keep_derived_reach(form: forms.ModelForm, cleaned: dict) -> None:
    """An initiative whose reach comes from evidence keeps it: a typed reach is refused.

    The value shown (rounded) comes back unchanged and stands for the exact
    one, so saving other fields is not an edit of reach.
    """
    instance = form.instance
    source = cleaned.get("reach_source", instance.reach_source)
    if not instance.pk or source != Initiative.ReachSource.EVIDENCE or "reach" not in cleaned:
        return
    if cleaned["reach"] in (instance.reach, round(instance.reach, 2)):
        cleaned["reach"] = instance.reach
    else:
        form.add_error("reach", DERIVED_REACH_TYPED)


class InitiativeCreateForm(InitiativeForm):
    """The same fields for a new initiative; there is no version to check yet."""

    version = None

    class Meta(InitiativeForm.Meta):
        pass


class RiceForm(VersionedForm):
    """Inline editing of the four RICE inputs in the priority table."""

    class Meta:
        model = Initiative
        fields = RICE_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("reach", "confidence", "effort"):
            self.fields[name].widget.attrs.update({"step": "any", "inputmode": "decimal"})
        explain_derived_reach(self)
        # Inline there is no reach source to switch: the derived reach is shown, not typed.
        if self.instance.pk and self.instance.reach_source == Initiative.ReachSource.EVIDENCE:
            self.fields["reach"].disabled = True

    def clean(self):
        cleaned = super().clean()
        keep_derived_reach(self, cleaned)
        return cleaned


class MoveForm(forms.Form):
    lane = forms.ChoiceField(choices=Initiative.Lane.choices)
    version = forms.IntegerField(required=False, min_value=1)


class AlignmentForm(forms.Form):
    key_result = forms.ModelChoiceField(
        queryset=KeyResult.objects.select_related("objective").order_by(
            "objective__period", "objective__title", "id"
        ),
        label="Key result",
        empty_label="Choose a key result…",
    )
    contribution = forms.ChoiceField(
        choices=Alignment.Contribution.choices, initial=Alignment.Contribution.MEDIUM
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["key_result"].label_from_instance = lambda kr: f"{kr.objective} → {kr}"


class ContributionForm(forms.Form):
    contribution = forms.ChoiceField(choices=Alignment.Contribution.choices)


def _bool_choice(value: str) -> str:
    return value if value in ("true", "false") else ""


class PriorityFilterForm(forms.Form):
    status = forms.ChoiceField(
        choices=[("", "Any status"), *Initiative.Status.choices], required=False
    )
    lane = forms.ChoiceField(choices=[("", "Any lane"), *Initiative.Lane.choices], required=False)
    team = forms.ChoiceField(choices=[("", "Any team")], required=False)
    objective = forms.ModelChoiceField(
        queryset=Objective.objects.order_by("period", "title"),
        required=False,
        empty_label="Any objective",
    )
    unaligned = forms.TypedChoiceField(
        choices=[("", "Aligned or not"), ("true", "Unaligned only"), ("false", "Aligned only")],
        required=False,
        coerce=_bool_choice,
        empty_value="",
    )
    search = forms.CharField(required=False, max_length=200, label="Search")

    def __init__(self, *args, teams: list[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", "Any team"), *((t, t) for t in teams)]

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        data = dict(self.cleaned_data)
        if data.get("objective"):
            data["objective"] = data["objective"].pk
        return {key: value for key, value in data.items() if value not in (None, "")}


class InboxSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search evidence")


class EvidenceLinkForm(forms.Form):
    """Link one or many inbox items to an initiative."""

    evidence = forms.ModelMultipleChoiceField(
        queryset=Evidence.objects.filter(initiative__isnull=True),
        error_messages={"required": "Select at least one evidence item."},
    )
    initiative = forms.ModelChoiceField(
        queryset=Initiative.objects.all(),
        error_messages={"required": "Choose an initiative to link to."},
    )


class EvidenceToInitiativeForm(forms.Form):
    title = forms.CharField(max_length=200, label="New initiative title")


class ManyOptionsSelect(forms.Select):
    """A select of thousands of options (every customer, every initiative).

    Django renders each option through a template: 60,000 options took ~6 s.
    Joined here it is the same HTML in milliseconds.
    """

    def render(self, name, value, attrs=None, renderer=None):
        chosen = set(self.format_value(value))
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (option, mark_safe(" selected") if str(option) in chosen else "", label)
                for option, label in self.choices
            ),
        )
        attrs = flatatt(self.build_attrs(self.attrs, {**(attrs or {}), "name": name}))
        return format_html("<select{}>{}</select>", attrs, options)


class EvidenceCreateForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=20_000)
    source = forms.ChoiceField(choices=Evidence.Source.choices)
    importance = forms.ChoiceField(
        choices=Evidence.Importance.choices, initial=Evidence.Importance.IMPORTANT
    )
    score = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=bounds.SCORE_MAX,
        label="Score",
        help_text="NPS comment: 0 to 10; survey: 1 to 5 (CSAT)",
    )
    customer = forms.ModelChoiceField(
        queryset=Customer.objects.order_by("name", "id").only("id", "name"),
        required=False,
        empty_label="No customer / new customer below",
        widget=SearchSelect(search_url=reverse_lazy("roadmap:pick-customers")),
    )
    new_customer = forms.CharField(
        required=False, max_length=200, label="…or a new customer's name"
    )
    initiative = forms.ModelChoiceField(
        queryset=Initiative.objects.order_by(*RANK_ORDER).only("id", "title", "rank_key"),
        required=False,
        empty_label="Leave in the inbox",
        widget=SearchSelect(search_url=reverse_lazy("roadmap:pick-initiatives")),
    )

    def clean(self):
        data = super().clean()
        if data.get("customer") and data.get("new_customer"):
            raise ValidationError("Pick an existing customer or name a new one, not both.")
        problem = bounds.score_error(data.get("source"), data.get("score"))
        if problem and "source" in data:
            self.add_error("score", problem)
        return data

    def item(self) -> dict:
        data = self.cleaned_data
        item = {
            "text": data["text"],
            "source": data["source"],
            "importance": data["importance"],
            "score": data.get("score"),
            "customer": data.get("customer"),
            "initiative": data.get("initiative"),
        }
        if data.get("new_customer"):
            name = data["new_customer"].strip()
            item.pop("customer")
            item["customer_external_id"] = f"web:{name.casefold()}"
            item["customer_name"] = name
        return item


class SegmentForm(FingerprintForm):
    fingerprint_fields = SEGMENT_AUDIT_FIELDS
    id_stem = "segment"

    class Meta:
        model = Segment
        fields = ("name", "weight")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["weight"].widget.attrs.update({"step": "any", "inputmode": "decimal"})


class SegmentCreateForm(SegmentForm):
    fingerprint = None

    class Meta(SegmentForm.Meta):
        pass


class CustomerForm(FingerprintForm):
    fingerprint_fields = CUSTOMER_AUDIT_FIELDS
    id_stem = "customer"

    class Meta:
        model = Customer
        fields = ("name", "external_id", "segment", "annual_revenue")
        labels = {"external_id": "External id"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segment"].queryset = Segment.objects.order_by("name")
        self.fields["segment"].empty_label = "No segment (weight 1)"
        self.fields["external_id"].help_text = "The customer's id in your CRM or support desk"
        self.fields["annual_revenue"].widget.attrs.update({"inputmode": "decimal"})


class CustomerCreateForm(CustomerForm):
    fingerprint = None

    class Meta(CustomerForm.Meta):
        pass


class CustomerFilterForm(forms.Form):
    segment = forms.ModelChoiceField(
        queryset=Segment.objects.order_by("name"), required=False, empty_label="Any segment"
    )
    q = forms.CharField(required=False, max_length=200, label="Search customers")

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}


class WebhookForm(forms.Form):
    """A webhook subscription as product edits it in the app."""

    url = forms.URLField(label="URL", max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=WebhookSubscription.Event.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=list(WebhookSubscription.Event.values),
        help_text="What the receiver is told about.",
    )
    description = forms.CharField(max_length=200, required=False)
