"""Initiatives (the roadmap's items, with their RICE inputs and scores) and their alignments."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q

import bounds
from okrs.models import QUARTER_REGEX, KeyResult, greater_than_zero, quarter_validator
from roadmap.planning import MAX_SPAN_QUARTERS, schedule_error

from .quarters import quarter_index_sql
from .ranks import RankedQuerySet, rank_of

FIBONACCI_CHOICES = [(n, str(n)) for n in bounds.FIBONACCI]


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
    # The plan on the timeline: a bar from start to end quarter, both included
    # (docs/ui.md, "Planning"). Both empty: unscheduled. Database defaults, so
    # bulk loads (COPY) that leave them out stay valid.
    start_quarter = models.CharField(
        max_length=7,
        blank=True,
        default="",
        db_default="",
        validators=[quarter_validator],
        help_text="First quarter of the plan, e.g. 2026-Q3",
    )
    end_quarter = models.CharField(
        max_length=7,
        blank=True,
        default="",
        db_default="",
        validators=[quarter_validator],
        help_text=f"Last quarter of the plan; a plan spans at most {MAX_SPAN_QUARTERS} quarters",
    )
    team = models.CharField(max_length=100, blank=True)
    # The id another system (a tracker, a spreadsheet) knows it by: importing a row
    # with it again updates the initiative. Unique through Meta.constraints, as on
    # Evidence; NULL when it has none.
    external_id = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001 - NULL: no id, many rows
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
    # The inputs of the other frameworks (docs/SCORING.md); empty until someone scores them.
    ease = models.FloatField(
        null=True, blank=True, validators=bounds.ease_validators, help_text="ICE ease, 1 to 10"
    )
    business_value = models.PositiveSmallIntegerField(
        null=True, blank=True, choices=FIBONACCI_CHOICES, help_text="WSJF user-business value"
    )
    time_criticality = models.PositiveSmallIntegerField(
        null=True, blank=True, choices=FIBONACCI_CHOICES, help_text="WSJF time criticality"
    )
    risk_reduction = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        choices=FIBONACCI_CHOICES,
        help_text="WSJF risk reduction / opportunity enablement",
    )
    job_size = models.PositiveSmallIntegerField(
        null=True, blank=True, choices=FIBONACCI_CHOICES, help_text="WSJF job size"
    )

    # Computed by the recompute pipeline, never typed in.
    rice_score = models.FloatField(default=0, editable=False)
    alignment_score = models.FloatField(default=0, editable=False)
    priority_score = models.FloatField(default=0, editable=False)
    scored_at = models.DateTimeField(null=True, blank=True, editable=False)
    breakdown = models.JSONField(default=dict, blank=True, editable=False)
    evidence_count = models.PositiveIntegerField(default=0, editable=False)
    # The ranked order, kept by the database: minus the priority of scored work
    # that is still open (idea, planned, in progress), NULL for the rest. A rank
    # is this row's place in (rank_key, id) order, counted when read
    # (roadmap.ranks), never stored: at 100,000 initiatives one lift passes
    # hundreds of others, and stored dense ranks made each rescore rewrite
    # tens of thousands of rows (docs/PERFORMANCE.md, "Ranks are read").
    rank_key = models.GeneratedField(
        expression=models.Case(
            models.When(
                Q(status__in=[status.value for status in RANKED_STATUSES])
                & Q(scored_at__isnull=False),
                then=-models.F("priority_score"),
            ),
            default=None,
            output_field=models.FloatField(),
        ),
        output_field=models.FloatField(),
        db_persist=True,
    )
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
    # The same terms by importance, without importance weights (scoring.reach,
    # "Sums by importance"): a customer's under the set of its items'
    # importances (bits: 1 nice to have, 2 important, 4 critical), an item
    # without a customer under its own. A preview of new importance weights
    # recombines them instead of aggregating the evidence.
    reach_set_1 = models.FloatField(default=0, db_default=0, editable=False)
    reach_set_2 = models.FloatField(default=0, db_default=0, editable=False)
    reach_set_3 = models.FloatField(default=0, db_default=0, editable=False)
    reach_set_4 = models.FloatField(default=0, db_default=0, editable=False)
    reach_set_5 = models.FloatField(default=0, db_default=0, editable=False)
    reach_set_6 = models.FloatField(default=0, db_default=0, editable=False)
    reach_set_7 = models.FloatField(default=0, db_default=0, editable=False)
    reach_anonymous_1 = models.FloatField(default=0, db_default=0, editable=False)
    reach_anonymous_2 = models.FloatField(default=0, db_default=0, editable=False)
    reach_anonymous_4 = models.FloatField(default=0, db_default=0, editable=False)
    # Bumped by every mark. A rescore reads it without locking the row, scores,
    # and clears the mark only if it has not moved since: a change committed
    # while the rescore ran keeps its mark, and ingest never waits for a rescore.
    mark_version = models.PositiveBigIntegerField(default=0, db_default=0, editable=False)

    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RankedQuerySet.as_manager()

    class Meta:
        ordering = ["rank_key", "-priority_score", "id"]
        indexes = [
            # The ranked list's page: ORDER BY rank_key, id LIMIT 50 stops after 50
            # rows, and a rank is a count over it (roadmap.ranks).
            models.Index(fields=["rank_key", "id"], name="initiative_rank_key_id"),
            # The alignment page joins every link in view to its initiative's
            # status, lane, team and effort: an index-only scan of these few
            # columns instead of a scan of the wide table (PostgreSQL; elsewhere
            # a plain index). None of them is rewritten by a rescore, so rescore
            # updates that leave the score stay HOT.
            models.Index(
                fields=["status", "lane", "team", "id"],
                include=["effort", "target_quarter"],
                name="initiative_alignment_view",
            ),
            # The filters' list of teams (a skip scan: one probe per team) and the
            # timeline: its page walks a team's work in rank order, its totals per
            # team and quarter are an index-only scan in team order. Neither team,
            # plan nor effort is rewritten by a rescore; a score move already
            # updates initiative_rank_key_id.
            models.Index(
                fields=["team", "rank_key", "id"],
                include=["status", "lane", "effort", "start_quarter", "end_quarter"],
                name="initiative_team_rank_key",
            ),
            # The marked rows, for the rescore's claim: at 100,000 initiatives a
            # sequential scan for them took 70-90 ms of a 0.35 s run. Partial:
            # it holds only the few marked rows, and an update that leaves the
            # mark as it was (most of them) stays HOT.
            models.Index(fields=["id"], condition=Q(needs_rescore=True), name="initiative_marked"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["external_id"], name="initiative_external_id_unique"),
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
            models.CheckConstraint(
                condition=(Q(start_quarter="") & Q(end_quarter=""))
                | (
                    Q(start_quarter__regex=QUARTER_REGEX)
                    & Q(end_quarter__regex=QUARTER_REGEX)
                    & Q(end_quarter__gte=models.F("start_quarter"))
                ),
                name="initiative_plan_quarters",
                violation_error_message="Set both plan quarters, the end on or after the start.",
            ),
            models.CheckConstraint(
                condition=Q(start_quarter="")
                | Q(
                    models.lookups.LessThan(
                        quarter_index_sql("end_quarter") - quarter_index_sql("start_quarter"),
                        MAX_SPAN_QUARTERS,
                    )
                ),
                name="initiative_plan_span",
                violation_error_message=f"A plan spans at most {MAX_SPAN_QUARTERS} quarters.",
            ),
            models.CheckConstraint(
                condition=Q(ease__isnull=True)
                | (Q(ease__gte=bounds.EASE_MIN) & Q(ease__lte=bounds.EASE_MAX)),
                name="initiative_ease_in_bounds",
            ),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{name}__isnull": True})
                    | Q(**{f"{name}__in": list(bounds.FIBONACCI)}),
                    name=f"initiative_{name}_fibonacci",
                )
                for name in ("business_value", "time_criticality", "risk_reduction", "job_size")
            ),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        super().clean()
        error = schedule_error(self.start_quarter, self.end_quarter)
        if error is not None:
            raise ValidationError({error[0]: error[1]})

    @property
    def rank(self) -> int | None:
        """Its place in the ranked list (1 best), None unless scored open work.

        Counted once per instance (one query); a list gets its ranks in one
        query from `roadmap.models.ranks.attach_ranks` (RankedQuerySet.with_ranks).
        """
        if "_rank" not in self.__dict__:
            self._rank = rank_of(self)
        return self._rank

    @rank.setter
    def rank(self, value: int | None) -> None:
        self._rank = value

    def refresh_from_db(self, *args, **kwargs):
        self.__dict__.pop("_rank", None)
        super().refresh_from_db(*args, **kwargs)

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
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

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
