"""Team capacity: person-months a team has for a quarter, set by product on the timeline."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from okrs.models import QUARTER_REGEX, quarter_validator

CAPACITY_MAX = 100_000.0


class TeamCapacity(models.Model):
    team = models.CharField(max_length=100)
    quarter = models.CharField(max_length=7, validators=[quarter_validator])
    person_months = models.FloatField(
        validators=[MinValueValidator(0), MaxValueValidator(CAPACITY_MAX)],
        help_text="Person-months available, 0 to 100,000",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["team", "quarter"]
        verbose_name = "team capacity"
        verbose_name_plural = "team capacities"
        constraints = [
            models.UniqueConstraint(fields=["team", "quarter"], name="team_capacity_unique"),
            models.CheckConstraint(condition=~Q(team=""), name="team_capacity_team_set"),
            models.CheckConstraint(
                condition=Q(quarter__regex=QUARTER_REGEX), name="team_capacity_quarter_format"
            ),
            models.CheckConstraint(
                condition=Q(person_months__gte=0) & Q(person_months__lte=CAPACITY_MAX),
                name="team_capacity_in_bounds",
            ),
        ]

    def __str__(self):
        return f"{self.team}, {self.quarter}: {self.person_months:g} person-months"
