"""The timeline's forms: its filters (GET), a bar's new plan and the capacity grid (POST)."""

from __future__ import annotations

from django import forms

from okrs.models import quarter_validator
from okrs.periods import current_quarter
from roadmap.models import Initiative
from roadmap.models.planning import CAPACITY_MAX
from roadmap.planning import quarter_index
from roadmap.selectors_timeline import TimelineFilters

PLAN_CHOICES = [
    ("", "Any plan"),
    ("scheduled", "Scheduled"),
    ("unscheduled", "Unscheduled"),
]
GROUP_CHOICES = [("team", "Team"), ("objective", "Objective")]
# The window may start anywhere from 1970 to 9990: far enough for anyone, and
# its last quarter is still a four-digit year.
FIRST_YEAR, LAST_YEAR = 1970, 9990


class TimelineFilterForm(forms.Form):
    """Filters from the query string; a value that is not a choice is ignored, not an error."""

    group = forms.ChoiceField(choices=GROUP_CHOICES, required=False, label="Rows by")
    lane = forms.ChoiceField(required=False)
    status = forms.ChoiceField(required=False)
    # Free text here: the page lists the teams from the same pass that counts them.
    team = forms.CharField(required=False, max_length=100, widget=forms.Select)
    objective = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    plan = forms.ChoiceField(choices=PLAN_CHOICES, required=False, label="Plan")
    start = forms.CharField(required=False, validators=[quarter_validator], label="From")
    page = forms.IntegerField(required=False, min_value=1)

    def __init__(self, data, *, objectives: list[tuple[int, str]], teams: list[str] = ()):
        super().__init__(data)
        self.fields["lane"].choices = [("", "Any lane"), *Initiative.Lane.choices]
        self.fields["status"].choices = [("", "Not archived"), *Initiative.Status.choices]
        self.fields["objective"].choices = [("", "Any objective"), *objectives]
        self.set_teams(teams)

    def set_teams(self, teams: list[str]) -> None:
        chosen = (self.data.get("team") or "").strip()
        listed = [*teams, chosen] if chosen and chosen not in teams else list(teams)
        self.fields["team"].widget.choices = [("", "Any team"), *((t, t) for t in listed)]

    def filters(self) -> TimelineFilters:
        self.is_valid()
        data = {
            name: self.cleaned_data.get(name) for name in self.fields if name not in self.errors
        }
        start = data.get("start") or current_quarter()
        if not FIRST_YEAR <= quarter_index(start) // 4 <= LAST_YEAR:
            start = current_quarter()
        return TimelineFilters(
            first=start,
            group=data.get("group") or "team",
            lane=data.get("lane") or "",
            status=data.get("status") or "",
            team=data.get("team") or "",
            objective=data.get("objective"),
            plan=data.get("plan") or "",
            page=data.get("page") or 1,
        )


class ScheduleForm(forms.Form):
    """A bar dropped or stretched: its new quarters (both empty unschedules it)."""

    start_quarter = forms.CharField(required=False, max_length=7, validators=[quarter_validator])
    end_quarter = forms.CharField(required=False, max_length=7, validators=[quarter_validator])
    version = forms.IntegerField(required=False, min_value=1)


class CapacityForm(forms.Form):
    """Person-months per team and quarter: one input per cell, empty clears it."""

    new_team = forms.CharField(required=False, max_length=100, label="Another team")

    def __init__(self, *args, teams: list[str], quarters: list[str], current: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.teams = teams
        self.quarters = quarters
        for team_number, team in enumerate([*teams, None]):
            for quarter in quarters:
                name = self.cell_name(team_number, quarter)
                self.fields[name] = forms.FloatField(
                    required=False,
                    min_value=0,
                    max_value=CAPACITY_MAX,
                    label=f"{team or 'Another team'}, {quarter}",
                    widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
                )
                if team is not None and (team, quarter) in current:
                    self.initial[name] = current[(team, quarter)]

    @staticmethod
    def cell_name(team_number: int, quarter: str) -> str:
        return f"c{team_number}_{quarter}"

    def rows(self):
        """(team or None for the new one, [bound field per quarter]) for the template."""
        for team_number, team in enumerate([*self.teams, None]):
            yield team, [self[self.cell_name(team_number, q)] for q in self.quarters]

    def clean(self):
        cleaned = super().clean()
        new_team = (cleaned.get("new_team") or "").strip()
        new_cells = [
            cleaned.get(self.cell_name(len(self.teams), q))
            for q in self.quarters
            if cleaned.get(self.cell_name(len(self.teams), q)) is not None
        ]
        if new_cells and not new_team:
            self.add_error("new_team", "Name the team these person-months are for.")
        return cleaned

    def values(self) -> dict[tuple[str, str], float | None]:
        """What to save: every cell that changed (None clears one)."""
        out = {}
        new_team = (self.cleaned_data.get("new_team") or "").strip()
        for team_number, team in enumerate([*self.teams, new_team or None]):
            if team is None:
                continue
            for quarter in self.quarters:
                name = self.cell_name(team_number, quarter)
                value = self.cleaned_data.get(name)
                if value != self.initial.get(name):
                    out[(team, quarter)] = value
        return out
