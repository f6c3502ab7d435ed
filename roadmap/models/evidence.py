"""Customer evidence, and the new items the rescore has not folded into reach yet."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q

import bounds
from roadmap.scoring.reach import IMPORTANCE_BITS

from .customers import Customer
from .initiatives import Initiative


class Evidence(models.Model):
    class Source(models.TextChoices):
        INTERVIEW = "interview", "Interview"
        SURVEY = "survey", "Survey"
        SUPPORT = "support", "Support ticket"
        NPS = "nps", "NPS comment"
        SALES = "sales", "Sales call"
        IN_APP = "in_app", "In-app feedback"
        EXPERIMENT = "experiment", "Experiment"

    class Dismissal(models.TextChoices):
        WONT_DO = "wont_do", "Won't do"
        DUPLICATE = "duplicate", "Duplicate"
        SPAM = "spam", "Spam"

    class Importance(models.TextChoices):
        NICE_TO_HAVE = "nice_to_have", "Nice to have"
        IMPORTANT = "important", "Important"
        CRITICAL = "critical", "Critical"

    source = models.CharField(max_length=10, choices=Source.choices)
    text = models.TextField(max_length=20_000)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="evidence"
    )
    importance = models.CharField(
        max_length=12, choices=Importance.choices, default=Importance.IMPORTANT
    )
    # The importance as the reach aggregate files it (`reach.IMPORTANCE_BITS`:
    # 1, 2 or 4), kept by the database: the aggregate reads this small
    # integer from its covering indexes instead of comparing text per item.
    importance_bit = models.GeneratedField(
        expression=models.Case(
            *(
                models.When(importance=name, then=models.Value(bit))
                for name, bit in IMPORTANCE_BITS.items()
                if name != "important"
            ),
            default=models.Value(IMPORTANCE_BITS["important"]),
        ),
        output_field=models.SmallIntegerField(),
        db_persist=True,
    )
    received_at = models.DateTimeField(
        validators=[bounds.event_date_validator],
        help_text="From 1970-01-01 to one day ahead of now",
    )
    # Unique through Meta.constraints: `unique=True` would add a second index
    # (varchar_pattern_ops, for LIKE) that nothing queries and every insert feeds.
    external_id = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001 - NULL: no id, many rows
    # Indexed by evidence_reach_cover, whose leading column it is.
    initiative = models.ForeignKey(
        Initiative,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="evidence",
        db_index=False,
    )
    # Not indexed: nothing reads evidence by author, and deleting a user (rare;
    # people are deactivated) may scan. Every ingested row fed this index.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    # A survey answer's score: 0-10 on `nps` items, 1-5 (CSAT) on `survey` ones
    # (bounds.SCORE_SCALES). Derived NPS/CSAT metrics are computed from it
    # (roadmap.services.derived_metrics).
    score = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(bounds.SCORE_MAX)],
        help_text="nps: 0 to 10; survey: 1 to 5 (CSAT); empty on other sources",
    )
    # An experiment's result (source `experiment` only; docs/SCORING.md): lift and
    # its confidence interval in percent, treatment over control. A significant
    # positive result (scoring.experiments.significant, the same rule as
    # EXPERIMENT_SIGNIFICANT_SQL) may raise its initiative's confidence.
    experiment_metric = models.CharField(
        max_length=100, blank=True, default="", db_default="", help_text="e.g. activation rate"
    )
    experiment_variant = models.CharField(
        max_length=100, blank=True, default="", db_default="", help_text="e.g. B (new onboarding)"
    )
    experiment_lift = models.FloatField(
        null=True, blank=True, validators=bounds.lift_validators, help_text="Lift, percent"
    )
    experiment_ci_low = models.FloatField(
        null=True,
        blank=True,
        validators=bounds.lift_validators,
        help_text="Confidence interval of the lift, lower bound, percent",
    )
    experiment_ci_high = models.FloatField(
        null=True,
        blank=True,
        validators=bounds.lift_validators,
        help_text="Confidence interval of the lift, upper bound, percent",
    )
    experiment_p_value = models.FloatField(
        null=True, blank=True, validators=bounds.p_value_validators, help_text="0 to 1"
    )
    experiment_sample_size = models.PositiveBigIntegerField(
        null=True, blank=True, validators=bounds.sample_validators
    )
    # Triage: a dismissed item is linked to nothing and counts for nothing (no
    # reach, no derived NPS/CSAT), but stays findable under "Dismissed".
    dismissed_reason = models.CharField(
        max_length=10, choices=Dismissal.choices, blank=True, default="", db_default=""
    )
    dismissed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name_plural = "evidence"
        # Each index is written by every ingested row; these are the ones read.
        indexes = [
            # The experiments of each initiative, for the rescore's significance test.
            models.Index(
                fields=["initiative"],
                condition=Q(source="experiment"),
                name="evidence_experiments",
            ),
            # Covers the reach aggregate: group by (initiative, customer) reading
            # only the index (importance_bit: the importance sums).
            models.Index(
                fields=["initiative", "customer", "received_at", "importance_bit"],
                name="evidence_reach_cover",
            ),
            # Covers the aggregate's items without a customer (a few percent),
            # which the index above would give only by walking all of it.
            models.Index(
                fields=["initiative", "received_at", "importance_bit"],
                condition=Q(customer__isnull=True, initiative__isnull=False),
                name="evidence_anonymous_reach",
            ),
            # An initiative's page lists its newest items a page at a time: without
            # this, a page of 25 sorted every item of the initiative (0.56 s for the
            # 44,000 of the bench's busiest).
            models.Index(
                fields=["initiative", "-received_at", "-id"],
                condition=Q(initiative__isnull=False),
                name="evidence_initiative_newest",
            ),
            models.Index(
                fields=["-received_at"],
                condition=Q(initiative__isnull=True),
                name="evidence_inbox",
            ),
            # The inbox's "dismissed" state: a few items among the unlinked ones,
            # found without reading the others. Ingest writes none (new items are
            # not dismissed).
            models.Index(
                fields=["-received_at", "-id"],
                condition=~Q(dismissed_reason=""),
                name="evidence_dismissed",
            ),
            # The inbox's default state, items waiting for triage, newest first:
            # its page is the first entries, its capped count ("10,000+") an
            # index-only scan of 10,001 of them instead of a walk of the table
            # past every linked or dismissed item.
            models.Index(
                fields=["-received_at", "-id"],
                condition=Q(initiative__isnull=True, dismissed_reason=""),
                name="evidence_inbox_open",
            ),
            # The inbox's other states ("all", "linked") newest first, a page at a
            # time; a search matching many items walks it (the text's own GIN
            # index, PostgreSQL only, is in migration 0028).
            models.Index(fields=["-received_at", "-id"], name="evidence_newest"),
            # Derived NPS/CSAT read the scored answers of a window; only
            # scored items feed this index.
            models.Index(
                fields=["source", "received_at", "customer", "score"],
                condition=Q(score__isnull=False),
                name="evidence_scored_window",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["external_id"], name="evidence_external_id_unique"),
            models.CheckConstraint(
                condition=Q(
                    source__in=[
                        "interview",
                        "survey",
                        "support",
                        "nps",
                        "sales",
                        "in_app",
                        "experiment",
                    ]
                ),
                name="evidence_source_valid",
            ),
            models.CheckConstraint(
                condition=Q(importance__in=["nice_to_have", "important", "critical"]),
                name="evidence_importance_valid",
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True)
                | Q(source="nps", score__gte=0, score__lte=10)
                | Q(source="survey", score__gte=1, score__lte=5),
                name="evidence_score_on_its_scale",
            ),
            models.CheckConstraint(
                condition=Q(dismissed_reason="")
                | Q(
                    dismissed_reason__in=["wont_do", "duplicate", "spam"],
                    initiative__isnull=True,
                ),
                name="evidence_dismissed_is_unlinked",
            ),
        ]

    def __str__(self):
        return self.text[:60]

    EXPERIMENT_FIELDS = (
        "experiment_metric",
        "experiment_variant",
        "experiment_lift",
        "experiment_ci_low",
        "experiment_ci_high",
        "experiment_p_value",
        "experiment_sample_size",
    )

    @property
    def has_experiment_result(self) -> bool:
        return any(getattr(self, name) not in (None, "") for name in self.EXPERIMENT_FIELDS)

    @property
    def experiment_significant(self) -> bool:
        from roadmap.scoring.experiments import ExperimentResult, significant

        return significant(
            ExperimentResult(
                lift=self.experiment_lift,
                ci_low=self.experiment_ci_low,
                ci_high=self.experiment_ci_high,
                p_value=self.experiment_p_value,
            )
        )

    def clean_experiment(self):
        """An experiment result only on an experiment, with a whole, ordered interval."""
        if self.has_experiment_result and self.source != self.Source.EXPERIMENT:
            raise ValidationError(
                {"source": "Only evidence of source “experiment” carries an experiment result."}
            )
        low, high = self.experiment_ci_low, self.experiment_ci_high
        if (low is None) != (high is None):
            raise ValidationError(
                {"experiment_ci_low": "Give both bounds of the confidence interval, or neither."}
            )
        if low is not None and low > high:
            raise ValidationError(
                {"experiment_ci_low": "The lower bound is above the upper bound."}
            )

    def clean(self):
        problem = bounds.score_error(self.source, self.score)
        if problem:
            raise ValidationError({"score": problem})
        self.clean_experiment()


class PendingEvidence(models.Model):
    """New evidence not yet folded into its initiative's reach sums.

    Ingest writes one row per new item linked to an initiative, in the
    item's transaction, and touches no initiative row: batches on the same
    hot initiatives no longer wait for each other. The rescore reads these
    rows, adds each item's term to its initiative's anchored sums (or
    aggregates the initiative afresh) and deletes them in its transaction,
    so a crashed run leaves them for the next one. No foreign key: a deleted
    item's row is dropped by the next run, and nothing here is worth a
    constraint check per ingested row.
    """

    evidence_id = models.BigIntegerField(primary_key=True)

    class Meta:
        verbose_name_plural = "pending evidence"

    def __str__(self):
        return f"evidence {self.evidence_id}"
