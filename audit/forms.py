"""The activity page's filters (GET): kind of object, person, date range."""

from datetime import UTC, datetime, time, timedelta

from django import forms
from django.contrib.auth import get_user_model

from .activity import Filters, kind_choices, kind_for


class ActivityFilterForm(forms.Form):
    kind = forms.ChoiceField(required=False, label="Kind of object")
    person = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(), required=False, empty_label="Anyone"
    )
    since = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "Everything"), *kind_choices()]
        people = self.fields["person"]
        people.queryset = get_user_model().objects.order_by("username")
        people.label_from_instance = lambda u: u.get_full_name() or u.get_username()

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", "The end date is before the start date.")
        return data

    def filters(self) -> Filters:
        """The valid filters (an invalid one is shown on the form and left out)."""
        data = self.cleaned_data if self.is_bound and hasattr(self, "cleaned_data") else {}
        since, until = data.get("since"), data.get("until")
        person = data.get("person")
        return Filters(
            kind=kind_for(data["kind"]) if data.get("kind") else None,
            actor_id=person.pk if person else None,
            since=datetime.combine(since, time.min, tzinfo=UTC) if since else None,
            until=datetime.combine(until, time.min, tzinfo=UTC) + timedelta(days=1)
            if until
            else None,
        )
