"""Forms of the OKR pages. They parse and validate input; services do the writes."""

from django import forms
from django.contrib.auth import get_user_model

import bounds
from okrs.models import Confidence, DerivedKind, KeyResult, Metric, Objective
from okrs.periods import current_quarter
from okrs.services import METRIC_AUDIT_FIELDS, METRIC_DERIVED_FIELDS
from web.forms import FingerprintForm, VersionedForm


class CheckInForm(forms.Form):
    value = forms.FloatField(
        label="New value",
        min_value=-bounds.VALUE_ABS_MAX,
        max_value=bounds.VALUE_ABS_MAX,
        widget=forms.NumberInput(attrs={"step": "any"}),
    )
    confidence = forms.ChoiceField(choices=Confidence.choices, initial=Confidence.ON_TRACK)
    note = forms.CharField(
        required=False, max_length=5_000, widget=forms.TextInput(attrs={"placeholder": "Optional"})
    )


class PeriodFilterForm(forms.Form):
    period = forms.ChoiceField(required=False, choices=[("", "All periods")])

    def __init__(self, *args, periods=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].choices = [("", "All periods"), *((p, p) for p in periods)]


def _decimal_inputs(form: forms.Form, *names: str) -> None:
    for name in names:
        form.fields[name].widget.attrs.update({"step": "any", "inputmode": "decimal"})


def _people(form: forms.Form, name: str) -> None:
    field = form.fields[name]
    field.queryset = get_user_model().objects.filter(is_active=True).order_by("username")
    field.empty_label = "Nobody"
    field.label_from_instance = lambda u: u.get_full_name() or u.get_username()


class ObjectiveForm(VersionedForm):
    """An objective's fields; a cancelled or missed objective stays, weighing nothing."""

    class Meta:
        model = Objective
        fields = (
            "title",
            "description",
            "owner",
            "period",
            "parent",
            "team",
            "weight",
            "rollup_weight",
            "status",
        )
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "period": forms.TextInput(attrs={"placeholder": "2026-Q4"}),
            "team": forms.TextInput(attrs={"placeholder": "Empty for a company objective"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _people(self, "owner")
        parents = Objective.objects.order_by("-period", "title")
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents
        self.fields["parent"].empty_label = "None (a company objective)"
        self.fields["parent"].label_from_instance = lambda o: f"{o.title} ({o.period})"
        self.fields["team"].help_text = ""
        self.fields["rollup_weight"].help_text = "How much it counts in its parent's progress"
        _decimal_inputs(self, "weight", "rollup_weight")
        self.fields["rollup_weight"].required = False

    def clean_rollup_weight(self):
        """Left empty: the stored weight, or 1 for a new objective."""
        value = self.cleaned_data.get("rollup_weight")
        if value is None:
            return self.instance.rollup_weight if self.instance.pk else 1.0
        return value


class ObjectiveCreateForm(ObjectiveForm):
    """The same fields for a new objective, set for the current quarter unless told."""

    version = None

    class Meta(ObjectiveForm.Meta):
        pass

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].required = False
        self.fields["period"].help_text = "Quarter, e.g. 2026-Q4; the current quarter if empty"
        if not self.is_bound:
            self.initial.setdefault("period", current_quarter())


KEY_RESULT_FIELDS = ("title", "kind", "start", "target", "current", "unit", "weight", "metric")


class KeyResultForm(VersionedForm):
    id_stem = "kr"

    class Meta:
        model = KeyResult
        fields = ("objective", *KEY_RESULT_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "objective" in self.fields:
            self.fields["objective"].queryset = Objective.objects.order_by("-period", "title")
            self.fields["objective"].label_from_instance = lambda o: f"{o.title} ({o.period})"
        self.fields["metric"].queryset = Metric.objects.order_by("key")
        self.fields["metric"].empty_label = "None (set by check-ins)"
        self.fields["metric"].help_text = "Its readings set the current value"
        self.fields["kind"].help_text = (
            "Maintain: done while the value stays on the start's side of the target."
            " Milestone: done once the value reaches the target."
        )
        _decimal_inputs(self, "start", "target", "current", "weight")


class KeyResultCreateForm(KeyResultForm):
    """A new key result of the objective whose page it is on."""

    version = None

    class Meta(KeyResultForm.Meta):
        fields = KEY_RESULT_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["current"].required = False
        self.fields["current"].initial = None
        self.fields[
            "current"
        ].help_text = "The start value, or the metric's latest reading, if empty"

    def fields_for_service(self) -> dict:
        data = {name: self.cleaned_data[name] for name in KEY_RESULT_FIELDS}
        if data["current"] is None:
            data.pop("current")
            if not data["metric"]:
                data["current"] = data["start"]
        return data


class MetricForm(FingerprintForm):
    """A metric's name, unit and direction; its key is fixed (integrations push by key)."""

    fingerprint_fields = METRIC_AUDIT_FIELDS
    id_stem = "metric"

    class Meta:
        model = Metric
        fields = ("name", "unit", "direction", "description", *METRIC_DERIVED_FIELDS)
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        labels = {
            "derived_kind": "Derived from survey answers",
            "derived_window_days": "Window (days)",
            "derived_segment": "Segment",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["derived_kind"].choices = [("", "No (pushed readings)"), *DerivedKind.choices]
        self.fields[
            "derived_kind"
        ].help_text = "NPS from nps evidence scored 0-10, CSAT from survey evidence scored 1-5"


class MetricCreateForm(MetricForm):
    fingerprint = None

    class Meta(MetricForm.Meta):
        fields = ("key", "name", "unit", "direction", "description", *METRIC_DERIVED_FIELDS)
