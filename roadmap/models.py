from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

import bounds
from okrs.models import QUARTER_REGEX, KeyResult, greater_than_zero, quarter_validator


class Segment(models.Model):
    """A customer segment or persona, with the weight strategy gives it."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True, max_length=5_000)
    weight = models.FloatField(
        default=1.0,
        validators=[MinValueValidator(0), bounds.weight_max_validator],
        help_text="Strategic weight, 0 to 100 (1 = neutral)",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(weight__gte=0), name="segment_weight_not_negative"),
            models.CheckConstraint(
                condition=Q(weight__lte=bounds.WEIGHT_MAX), name="segment_weight_at_most_max"
            ),
        ]

    def __str__(self):
        return self.name


class Customer(models.Model):
    name = models.CharField(max_length=200)
    external_id = models.CharField(max_length=200, unique=True, null=True, blank=True)
    segment = models.ForeignKey(
        Segment, null=True, blank=True, on_delete=models.SET_NULL, related_name="customers"
    )
    annual_revenue = models.DecimalField(
        max_digits=14, decimal_places=2, default=0, validators=bounds.revenue_validators
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(annual_revenue__gte=0), name="customer_revenue_not_negative"
            )
        ]

    def __str__(self):
        return self.name


class Initiative(models.Model):
    class Status(models.TextChoices):
        IDEA = "idea", "Idea"
        PLANNED = "planned", "Planned"
        IN_PROGRESS = "in_progress", "In progress"
        SHIPPED = "shipped", "Shipped"
        ARCHIVED = "archived", "Archived"

    class Lane(models.TextChoices):
        NOW = "now", "Now"
        NEXT = "next", "Next"
        LATER = "later", "Later"

    # 0.25, 0.5, 1, 2 and 3 are exact in binary floating point, so an
    # IN-list constraint on a float column is safe.
    IMPACT_CHOICES = [
        (0.25, "Minimal (0.25)"),
        (0.5, "Low (0.5)"),
        (1.0, "Medium (1)"),
        (2.0, "High (2)"),
        (3.0, "Massive (3)"),
    ]

    class ReachSource(models.TextChoices):
        MANUAL = "manual", "Set by hand"
        EVIDENCE = "evidence", "From evidence"

    class Trigger(models.TextChoices):
        EVIDENCE = "evidence", "Evidence"
        METRIC = "metric", "Metric"
        EDIT = "edit", "Edit"
        SCHEDULE = "schedule", "Schedule"

    RANKED_STATUSES = (Status.IDEA, Status.PLANNED, Status.IN_PROGRESS)

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=20_000)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IDEA)
    lane = models.CharField(max_length=5, choices=Lane.choices, default=Lane.LATER)
    target_quarter = models.CharField(
        max_length=7, blank=True, validators=[quarter_validator], help_text="e.g. 2026-Q4"
    )
    team = models.CharField(max_length=100, blank=True)
    # Not indexed: nothing lists initiatives by owner, and every rank move is
    # a new row version that fed this index too (~20 ms of a full rescore at
    # 10k). Deleting a user reads the ~10k rows once.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    reach = models.FloatField(
        default=0,
        validators=bounds.reach_validators,
        help_text="People or events per quarter, 0 to 1,000,000,000",
    )
    impact = models.FloatField(choices=IMPACT_CHOICES, default=1.0)
    confidence = models.FloatField(
        default=80,
        validators=[greater_than_zero, MaxValueValidator(100)],
        help_text="Percent, more than 0 and at most 100: 100 high, 80 medium, 50 low",
    )
    effort = models.FloatField(
        default=1,
        validators=[greater_than_zero, *bounds.effort_validators],
        help_text="Person-months, 0.01 to 10,000",
    )
    reach_source = models.CharField(
        max_length=8, choices=ReachSource.choices, default=ReachSource.MANUAL
    )

    # Computed by the recompute pipeline, never typed in.
    rice_score = models.FloatField(default=0, editable=False)
    alignment_score = models.FloatField(default=0, editable=False)
    # Not indexed: every rescore rewrites it, and ten thousand rows sort in memory.
    priority_score = models.FloatField(default=0, editable=False)
    rank = models.PositiveIntegerField(null=True, blank=True, editable=False)
    scored_at = models.DateTimeField(null=True, blank=True, editable=False)
    breakdown = models.JSONField(default=dict, blank=True, editable=False)
    evidence_count = models.PositiveIntegerField(default=0, editable=False)
    # Where it was before its latest change (as in its latest ScoreSnapshot), kept
    # here so the ranked list reads one row per initiative and nothing else.
    previous_rank = models.PositiveIntegerField(null=True, blank=True, editable=False)
    previous_priority_score = models.FloatField(null=True, blank=True, editable=False)

    # "Needs a rescore": set in the same transaction as the change, cleared by the
    # recompute that scores it. The truth the Celery message only nudges about.
    needs_rescore = models.BooleanField(default=True, editable=False)
    rescore_trigger = models.CharField(
        max_length=8, choices=Trigger.choices, default=Trigger.EDIT, editable=False
    )
    # Evidence sums at `reach_anchor` (scoring.AnchoredReach), so new evidence
    # updates reach by a delta at ingest instead of a re-read of every item of
    # the initiative at each rescore. NULL anchor: not known, the next rescore
    # aggregates the evidence (set by every mark except plain new evidence).
    # Database defaults too: bulk loads (COPY) that leave them out stay valid.
    reach_anchor = models.DateTimeField(null=True, blank=True, editable=False)
    reach_half_life = models.FloatField(null=True, blank=True, editable=False)
    reach_weighted = models.FloatField(default=0, db_default=0, editable=False)
    reach_anonymous = models.FloatField(default=0, db_default=0, editable=False)
    reach_customers = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    reach_anonymous_items = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    reach_items = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    # Bumped by every mark. A rescore reads it without locking the row, scores,
    # and clears the mark only if it has not moved since: a change committed
    # while the rescore ran keeps its mark, and ingest never waits for a rescore.
    mark_version = models.PositiveBigIntegerField(default=0, db_default=0, editable=False)

    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["rank", "-priority_score", "id"]
        indexes = [
            # The ranked list's page: ORDER BY rank, id LIMIT 50 stops after 50 rows.
            models.Index(fields=["rank", "id"], name="initiative_rank_id"),
            # No index on needs_rescore or priority_score: every mark and every
            # rescore rewrites them, and an indexed column makes each of those
            # updates a new index entry (no HOT update) on a table of ~10k rows
            # that a sequential scan reads in milliseconds.
        ]
        constraints = [
            models.CheckConstraint(condition=Q(reach__gte=0), name="initiative_reach_not_negative"),
            models.CheckConstraint(condition=Q(effort__gt=0), name="initiative_effort_positive"),
            models.CheckConstraint(
                condition=Q(reach__lte=bounds.REACH_MAX)
                & Q(effort__gte=bounds.EFFORT_MIN)
                & Q(effort__lte=bounds.EFFORT_MAX),
                name="initiative_rice_in_bounds",
            ),
            models.CheckConstraint(
                condition=Q(confidence__gt=0) & Q(confidence__lte=100),
                name="initiative_confidence_percent",
            ),
            models.CheckConstraint(
                condition=Q(impact__in=[0.25, 0.5, 1.0, 2.0, 3.0]),
                name="initiative_impact_scale",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["idea", "planned", "in_progress", "shipped", "archived"]),
                name="initiative_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(lane__in=["now", "next", "later"]), name="initiative_lane_valid"
            ),
            models.CheckConstraint(
                condition=Q(reach_source__in=["manual", "evidence"]),
                name="initiative_reach_source_valid",
            ),
            models.CheckConstraint(
                condition=Q(target_quarter="") | Q(target_quarter__regex=QUARTER_REGEX),
                name="initiative_target_quarter_format",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def unaligned(self) -> bool:
        return bool(self.breakdown) and self.breakdown.get("alignment", {}).get("unaligned", True)


class Alignment(models.Model):
    class Contribution(models.TextChoices):
        STRONG = "strong", "Strong (1.0)"
        MEDIUM = "medium", "Medium (0.5)"
        WEAK = "weak", "Weak (0.25)"

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="alignments")
    key_result = models.ForeignKey(KeyResult, on_delete=models.CASCADE, related_name="alignments")
    contribution = models.CharField(
        max_length=6, choices=Contribution.choices, default=Contribution.MEDIUM
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["initiative_id", "key_result_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["initiative", "key_result"], name="alignment_unique_pair"
            ),
            models.CheckConstraint(
                condition=Q(contribution__in=["strong", "medium", "weak"]),
                name="alignment_contribution_valid",
            ),
        ]

    def __str__(self):
        return f"{self.initiative} → {self.key_result} ({self.contribution})"


class Evidence(models.Model):
    class Source(models.TextChoices):
        INTERVIEW = "interview", "Interview"
        SURVEY = "survey", "Survey"
        SUPPORT = "support", "Support ticket"
        NPS = "nps", "NPS comment"
        SALES = "sales", "Sales call"
        IN_APP = "in_app", "In-app feedback"
        EXPERIMENT = "experiment", "Experiment"

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
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name_plural = "evidence"
        # Each index is written by every ingested row; these are the ones read.
        indexes = [
            # Covers the reach aggregate: group by (initiative, customer) reading
            # only the index.
            models.Index(
                fields=["initiative", "customer", "received_at"], name="evidence_reach_cover"
            ),
            models.Index(
                fields=["-received_at"],
                condition=Q(initiative__isnull=True),
                name="evidence_inbox",
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
        ]

    def __str__(self):
        return self.text[:60]


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


class FullRescore(models.Model):
    """A rescore of every initiative, asked for and not yet done (nightly, weekly, by hand).

    One row instead of a mark on each initiative: the next rescore claims every
    initiative while a row is there and deletes the rows it saw in its own
    transaction, so a run that dies leaves them for the sweep, as it leaves
    marks. Marking 10,000 rows first rewrote each of them once more per full
    run, and the run then rewrote every one of them to clear its mark, even
    where nothing else changed. `reaggregate`: the kept evidence sums are not
    trusted, all the evidence is aggregated again.
    """

    reaggregate = models.BooleanField(default=False)
    trigger = models.CharField(
        max_length=8, choices=Initiative.Trigger.choices, default=Initiative.Trigger.SCHEDULE
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"full rescore {self.id}{' (re-aggregate)' if self.reaggregate else ''}"


class ScoreSnapshot(models.Model):
    # Indexed by snapshot_initiative_latest, which starts with it.
    initiative = models.ForeignKey(
        Initiative, on_delete=models.CASCADE, related_name="snapshots", db_index=False
    )
    reach = models.FloatField()
    impact = models.FloatField()
    confidence = models.FloatField()
    effort = models.FloatField()
    rice_score = models.FloatField()
    alignment_score = models.FloatField()
    priority_score = models.FloatField()
    rank = models.PositiveIntegerField(null=True)
    previous_priority_score = models.FloatField(null=True)
    previous_rank = models.PositiveIntegerField(null=True)
    trigger = models.CharField(max_length=8, choices=Initiative.Trigger.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # Newest first. Only the rescore writes snapshots, one run at a time,
        # so ids follow created_at; the primary key serves the order, and the
        # full run's 5,000 inserts feed two indexes fewer (docs/PERFORMANCE.md).
        ordering = ["-id"]
        indexes = [models.Index(fields=["initiative", "-id"], name="snapshot_initiative_latest")]

    def __str__(self):
        return f"{self.initiative_id} #{self.rank} {self.priority_score:.1f}"

    @property
    def rank_change(self) -> int | None:
        """Positive when the initiative moved up (rank number went down)."""
        if self.rank is None or self.previous_rank is None:
            return None
        return self.previous_rank - self.rank


class ScoreQuarantine(models.Model):
    """An initiative the rescore could not score, with the error, kept out of the run.

    The rest of the run lands; this initiative keeps its last good score and
    rank, its mark is cleared (so it does not fail every sweep) and its
    evidence sums are forgotten (aggregated afresh next time). The next
    change that marks it, or the nightly run, tries again; a success deletes
    the row. Shown to `product` on the priorities page and counted in /readyz.
    """

    initiative = models.OneToOneField(
        Initiative, primary_key=True, on_delete=models.CASCADE, related_name="quarantine"
    )
    error = models.TextField(max_length=2_000)
    attempts = models.PositiveIntegerField(default=1)
    first_failed_at = models.DateTimeField()
    last_failed_at = models.DateTimeField()

    class Meta:
        ordering = ["-last_failed_at"]

    def __str__(self):
        return f"{self.initiative_id}: {self.error[:60]}"


class RecomputeRun(models.Model):
    """One run of the recompute task: how many initiatives it claimed and moved.

    Makes coalescing observable: a burst of feedback should add a few rows
    here, not one per event.
    """

    trigger = models.CharField(max_length=8, choices=Initiative.Trigger.choices)
    claimed = models.PositiveIntegerField()
    changed = models.PositiveIntegerField()
    duration_ms = models.FloatField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self):
        return f"run {self.pk}: {self.claimed} claimed, {self.changed} changed"


class WebhookSubscription(models.Model):
    """An integration's request to be told about events, signed with `secret`."""

    class Event(models.TextChoices):
        PRIORITY_CHANGED = "priority.changed", "Priority changed"

    url = models.URLField(max_length=500)
    events = models.JSONField(default=list, help_text="Event names, e.g. ['priority.changed']")
    # Kept in clear: it signs every delivery. Shown to the subscriber once, on create.
    secret = models.CharField(max_length=128)
    active = models.BooleanField(default=True)
    description = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.url


class WebhookDelivery(models.Model):
    """One event for one subscription, and how its delivery went (updated every attempt)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=64)
    payload = models.JSONField()
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # Which rescore batch this delivery reports (its snapshot ids and chunk):
    # a task that runs twice finds the delivery already queued.
    batch_key = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(fields=["subscription", "-id"], name="delivery_subscription_latest"),
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="delivery_pending_due",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "succeeded", "failed"]),
                name="delivery_status_valid",
            ),
            models.UniqueConstraint(
                fields=["subscription", "batch_key"],
                condition=~Q(batch_key=""),
                name="delivery_unique_batch",
            ),
        ]

    def __str__(self):
        return f"{self.event} → {self.subscription_id} ({self.status})"
