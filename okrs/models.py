from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

import bounds

from . import progress as progress_math
from .segment_names import segment_name_error

QUARTER_REGEX = r"^[0-9]{4}-Q[1-4]$"
quarter_validator = RegexValidator(QUARTER_REGEX, "Enter a quarter like 2026-Q4.")


def _within(field: str, name: str) -> models.CheckConstraint:
    """A CHECK that `field` lies within +-bounds.VALUE_ABS_MAX."""
    return models.CheckConstraint(
        condition=Q(
            **{f"{field}__gte": -bounds.VALUE_ABS_MAX, f"{field}__lte": bounds.VALUE_ABS_MAX}
        ),
        name=name,
    )


def greater_than_zero(value):
    """Weights' old lower bound; migrations still name it (bounds.weight_min_validator now)."""
    if value is None or value <= 0:
        raise ValidationError("Must be more than 0.", code="min_value")


class Objective(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        ACHIEVED = "achieved", "Achieved"
        MISSED = "missed", "Missed"
        CANCELLED = "cancelled", "Cancelled"

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=10_000)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    period = models.CharField(
        max_length=7, validators=[quarter_validator], help_text="Quarter, e.g. 2026-Q4"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    team = models.CharField(max_length=100, blank=True, help_text="Empty for company objectives")
    weight = models.FloatField(
        default=1.0,
        validators=[bounds.weight_min_validator, bounds.weight_max_validator],
        help_text="Business importance, 0.01 to 100",
    )
    rollup_weight = models.FloatField(
        "roll-up weight",
        default=1.0,
        validators=[bounds.weight_min_validator, bounds.weight_max_validator],
        help_text="How much it counts in its parent objective's progress, against each of the"
        " parent's own key results (weight 1 each by default); 0.01 to 100",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    progress = models.FloatField(default=0.0, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["period", "-weight", "title"]
        constraints = [
            models.CheckConstraint(condition=Q(weight__gt=0), name="objective_weight_positive"),
            models.CheckConstraint(
                condition=Q(weight__lte=bounds.WEIGHT_MAX), name="objective_weight_at_most_max"
            ),
            models.CheckConstraint(
                condition=Q(period__regex=QUARTER_REGEX), name="objective_period_quarter"
            ),
            models.CheckConstraint(
                condition=Q(rollup_weight__gt=0) & Q(rollup_weight__lte=bounds.WEIGHT_MAX),
                name="objective_rollup_weight_range",
            ),
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=1), name="objective_progress_range"
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def team_label(self) -> str:
        """Its team; "Company" for a company objective (no team, no parent), else "Team"."""
        if self.team:
            return self.team
        return "Company" if self.parent_id is None else "Team"

    def clean(self):
        """An objective may not sit under itself, directly or through its parents."""
        if self.pk is None or self.parent_id is None:
            return
        if self.parent_id == self.pk:
            raise ValidationError({"parent": "An objective cannot be its own parent."})
        seen = {self.pk}
        parent_id = self.parent_id
        while parent_id is not None:
            if parent_id in seen:
                raise ValidationError(
                    {"parent": "An objective cannot sit under itself or under one of its own."}
                )
            seen.add(parent_id)
            parent_id = (
                Objective.objects.filter(pk=parent_id).values_list("parent_id", flat=True).first()
            )


DERIVED_WINDOW_MAX = 365


class DerivedKind(models.TextChoices):
    """What a derived metric computes from scored evidence (roadmap.services.derived_metrics)."""

    NPS = "nps", "NPS"
    CSAT = "csat", "CSAT"


class Metric(models.Model):
    class Direction(models.TextChoices):
        HIGHER_IS_BETTER = "increase", "Higher is better"
        LOWER_IS_BETTER = "decrease", "Lower is better"

    key = models.SlugField(max_length=64, unique=True, help_text="e.g. nps, dau, churn_rate")
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    name = models.CharField(max_length=200)
    unit = models.CharField(max_length=32, blank=True)
    direction = models.CharField(
        max_length=8, choices=Direction.choices, default=Direction.HIGHER_IS_BETTER
    )
    description = models.TextField(blank=True, max_length=5_000)
    # A derived metric's readings are computed from customer evidence by the
    # pipeline (roadmap.services.derived_metrics), not pushed by integrations.
    derived_kind = models.CharField(
        max_length=4,
        choices=DerivedKind.choices,
        blank=True,
        help_text="Computed from scored survey answers; empty for pushed readings",
    )
    derived_window_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(DERIVED_WINDOW_MAX)],
        help_text=f"Rolling window in days (1 to {DERIVED_WINDOW_MAX})",
    )
    derived_segment = models.CharField(
        max_length=100,
        blank=True,
        help_text="Only customers of this segment (its name); empty for all customers",
    )

    class Meta:
        ordering = ["key"]
        constraints = [
            models.CheckConstraint(
                condition=Q(derived_kind__in=["", "nps", "csat"]), name="metric_derived_kind_valid"
            ),
            models.CheckConstraint(
                condition=(Q(derived_kind="") & Q(derived_window_days__isnull=True))
                | (
                    ~Q(derived_kind="")
                    & Q(derived_window_days__gte=1)
                    & Q(derived_window_days__lte=DERIVED_WINDOW_MAX)
                ),
                name="metric_derived_window_set",
            ),
        ]

    def __str__(self):
        return self.key

    def clean(self):
        if self.derived_kind and not self.derived_window_days:
            raise ValidationError(
                {"derived_window_days": "A derived metric needs a window in days."}
            )
        if not self.derived_kind and (self.derived_window_days or self.derived_segment):
            raise ValidationError(
                {"derived_kind": "Choose NPS or CSAT, or clear the window and segment."}
            )
        problem = segment_name_error(self.derived_segment)
        if problem:  # an unknown segment would silently match no answers
            raise ValidationError({"derived_segment": problem})

    @property
    def derived_label(self) -> str:
        if not self.derived_kind:
            return ""
        who = f"{self.derived_segment} customers" if self.derived_segment else "all customers"
        return f"{self.get_derived_kind_display()}, last {self.derived_window_days} days, {who}"


class MetricReading(models.Model):
    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="readings")
    value = models.FloatField(validators=bounds.value_validators)
    observed_at = models.DateTimeField(validators=[bounds.event_date_validator])
    source = models.CharField(max_length=100, blank=True)
    # NULL, not "", for "no external id": the unique constraint skips NULLs.
    external_id = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["-observed_at", "-id"]
        indexes = [models.Index(fields=["metric", "-observed_at"], name="reading_metric_time")]
        constraints = [
            _within("value", "reading_value_in_bounds"),
            models.UniqueConstraint(
                fields=["metric", "external_id"],
                condition=Q(external_id__isnull=False),
                name="reading_unique_external_id",
            ),
        ]

    def __str__(self):
        return f"{self.metric.key}={self.value:g} @ {self.observed_at:%Y-%m-%d}"


class Confidence(models.TextChoices):
    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    OFF_TRACK = "off_track", "Off track"


class KeyResult(models.Model):
    class Kind(models.TextChoices):
        INCREASE = progress_math.INCREASE, "Increase to"
        DECREASE = progress_math.DECREASE, "Decrease to"
        MAINTAIN = progress_math.MAINTAIN, "Maintain"
        MILESTONE = progress_math.MILESTONE, "Milestone"

    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="key_results")
    title = models.CharField(max_length=200)
    metric = models.ForeignKey(
        Metric, null=True, blank=True, on_delete=models.SET_NULL, related_name="key_results"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.INCREASE)
    start = models.FloatField(default=0, validators=bounds.value_validators)
    target = models.FloatField(validators=bounds.value_validators)
    current = models.FloatField(default=0, validators=bounds.value_validators)
    unit = models.CharField(max_length=32, blank=True)
    weight = models.FloatField(
        default=1.0,
        validators=[bounds.weight_min_validator, bounds.weight_max_validator],
        help_text="0.01 to 100",
    )
    confidence = models.CharField(
        max_length=10, choices=Confidence.choices, default=Confidence.ON_TRACK
    )
    progress = models.FloatField(default=0.0, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["objective_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(weight__gt=0), name="key_result_weight_positive"),
            models.CheckConstraint(
                condition=Q(weight__lte=bounds.WEIGHT_MAX), name="key_result_weight_at_most_max"
            ),
            _within("start", "key_result_start_in_bounds"),
            _within("target", "key_result_target_in_bounds"),
            _within("current", "key_result_current_in_bounds"),
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=1), name="key_result_progress_range"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=progress_math.KINDS), name="key_result_kind_valid"
            ),
        ]

    def __str__(self):
        return self.title

    def values(self) -> progress_math.KeyResultValues:
        return progress_math.KeyResultValues(self.kind, self.start, self.target, self.current)

    @property
    def grade(self) -> str:
        """The usual OKR grading bands: red below 0.4, yellow below 0.7, else green."""
        if self.progress < 0.4:
            return "red"
        if self.progress < 0.7:
            return "yellow"
        return "green"


class CheckIn(models.Model):
    key_result = models.ForeignKey(KeyResult, on_delete=models.CASCADE, related_name="check_ins")
    value = models.FloatField(validators=bounds.value_validators)
    confidence = models.CharField(max_length=10, choices=Confidence.choices)
    note = models.TextField(blank=True, max_length=5_000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    checked_at = models.DateTimeField(validators=[bounds.event_date_validator])
    # The client's id for this check-in: a retried POST with it changes the same row.
    external_id = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        verbose_name = "check-in"  # not Django's "check in", a verb, on /activity/ and the admin
        ordering = ["-checked_at", "-id"]
        indexes = [
            models.Index(fields=["key_result", "-checked_at", "-id"], name="check_in_kr_time")
        ]
        constraints = [
            _within("value", "check_in_value_in_bounds"),
            models.UniqueConstraint(
                fields=["key_result", "external_id"],
                condition=Q(external_id__isnull=False),
                name="check_in_unique_external_id",
            ),
        ]

    def __str__(self):
        return f"{self.key_result}: {self.value:g}"
