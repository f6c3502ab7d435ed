"""The team's scoring policy: one row, edited by product on the scoring settings page."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from roadmap import scoring

SINGLETON_ID = 1


class ScoringSettings(models.Model):
    """The one scoring policy (docs/SCORING.md); no row yet: the defaults, from settings.

    Versioned as initiatives are: a save from a stale page is refused (409).
    """

    class Framework(models.TextChoices):
        RICE = "rice", "RICE: reach x impact x confidence / effort"
        ICE = "ice", "ICE: impact x confidence x ease"
        WSJF = "wsjf", "WSJF: cost of delay / job size"
        CUSTOM = "custom", "Custom formula"

    framework = models.CharField(max_length=6, choices=Framework.choices, default=Framework.RICE)
    formula = models.CharField(
        max_length=500,
        blank=True,
        help_text="The custom framework's expression, e.g. reach * impact * confidence / effort",
    )
    alignment_weight = models.FloatField(
        default=1.0,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
        help_text="priority = score x (1 + weight x alignment); 1 as always, 0 turns it off",
    )
    unaligned_factor = models.FloatField(
        default=1.0,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text="Work aligned to no key result is multiplied by this (1: no penalty)",
    )
    importance_nice_to_have = models.FloatField(
        default=1.0, validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    importance_important = models.FloatField(
        default=1.0, validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    importance_critical = models.FloatField(
        default=1.0, validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    revenue_weight = models.FloatField(
        default=0.0,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
        help_text="0: revenue counts for nothing; else a customer's weight grows with the"
        " log of its annual revenue (capped)",
    )
    experiment_confidence = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Raise confidence to at least this (percent) when a linked experiment"
        " shows a significant positive result; empty: off",
    )
    half_life_days = models.FloatField(
        default=90.0,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text="Evidence loses half its weight every this many days",
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # What the app calls it (its page, the /activity/ filter), not "Scoring settings".
        verbose_name = "scoring policy"
        verbose_name_plural = "scoring policy"
        constraints = [
            models.CheckConstraint(condition=Q(id=SINGLETON_ID), name="scoring_settings_singleton"),
            models.CheckConstraint(
                condition=Q(framework__in=["rice", "ice", "wsjf", "custom"]),
                name="scoring_settings_framework_valid",
            ),
            models.CheckConstraint(
                condition=Q(alignment_weight__gte=0)
                & Q(alignment_weight__lte=10)
                & Q(unaligned_factor__gte=0)
                & Q(unaligned_factor__lte=1)
                & Q(revenue_weight__gte=0)
                & Q(revenue_weight__lte=10)
                & Q(half_life_days__gte=1)
                & Q(half_life_days__lte=3650),
                name="scoring_settings_in_bounds",
            ),
        ]

    def __str__(self):
        return f"Scoring policy ({self.framework})"

    def clean(self):
        super().clean()
        if self.framework != self.Framework.CUSTOM:
            return
        if not self.formula.strip():
            raise ValidationError({"formula": "A custom framework needs a formula."})
        try:
            scoring.validate_framework(self.framework, self.formula)
        except scoring.ScoringError as exc:
            raise ValidationError({"formula": f"{str(exc)[:1].upper()}{str(exc)[1:]}."}) from None

    def policy(self, *, alignment_floor: float) -> scoring.ScoringPolicy:
        """The pure policy the scoring uses."""
        return scoring.ScoringPolicy(
            half_life_days=self.half_life_days,
            alignment_floor=alignment_floor,
            framework=self.framework,
            formula=self.formula if self.framework == self.Framework.CUSTOM else "",
            alignment_weight=self.alignment_weight,
            unaligned_factor=self.unaligned_factor,
            importance_weights={
                "nice_to_have": self.importance_nice_to_have,
                "important": self.importance_important,
                "critical": self.importance_critical,
            },
            revenue_weight=self.revenue_weight,
            experiment_confidence=self.experiment_confidence,
        )
