from django import forms

import bounds
from okrs.models import Confidence


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
