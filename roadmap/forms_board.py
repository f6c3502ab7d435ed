"""The roadmap board's filters, and where shipped work goes."""

from __future__ import annotations

from django import forms

from okrs.models import Objective
from roadmap.models import Initiative


class BoardFilterForm(forms.Form):
    SHIPPED_CHOICES = [
        ("strip", "Recent strip"),
        ("lane", "Done column"),
        ("hide", "Hidden"),
    ]

    team = forms.ChoiceField(choices=[("", "Any team")], required=False)
    objective = forms.ModelChoiceField(
        queryset=Objective.objects.order_by("period", "title"),
        required=False,
        empty_label="Any objective",
    )
    status = forms.ChoiceField(
        choices=[
            ("", "Any status"),
            *(c for c in Initiative.Status.choices if c[0] != Initiative.Status.ARCHIVED),
        ],
        required=False,
    )
    shipped = forms.ChoiceField(choices=SHIPPED_CHOICES, required=False, label="Shipped work")

    def __init__(self, *args, teams: list[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", "Any team"), *((t, t) for t in teams)]

    def filters(self) -> dict:
        """The valid filters (an invalid one is dropped, not the others)."""
        self.is_valid()
        data = self.cleaned_data  # an invalid field is not in it
        out = {name: data[name] for name in ("team", "status") if data.get(name)}
        if data.get("objective"):
            out["objective"] = data["objective"].pk
        return out

    def shipped_mode(self) -> str:
        self.is_valid()
        return self.cleaned_data.get("shipped") or "strip"


class LaneMoreForm(forms.Form):
    """Where in a lane the board's "Show more" continues."""

    offset = forms.IntegerField(min_value=0, max_value=1_000_000)
