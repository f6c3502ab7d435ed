"""What the rescore keeps: full runs asked for, causes waiting, snapshots, quarantine, runs."""

from django.db import models

from .initiatives import Initiative


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
    # What moved it: small structured objects (roadmap.services.causes, docs/RESCORE.md).
    causes = models.JSONField(default=list, blank=True)
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
    def score_change(self) -> float | None:
        if self.previous_priority_score is None:
            return None
        return self.priority_score - self.previous_priority_score

    @property
    def listed_causes(self) -> list[dict]:
        """Its causes as read: the only cause takes the whole score change as its `share`."""
        causes = self.causes or []
        change = self.score_change
        if len(causes) == 1 and change is not None and "share" not in causes[0]:
            return [{**causes[0], "share": round(change, 4)}]
        return causes

    @property
    def rank_change(self) -> int | None:
        """Positive when the initiative moved up (rank number went down)."""
        if self.rank is None or self.previous_rank is None:
            return None
        return self.previous_rank - self.rank


class PendingCause(models.Model):
    """Why an initiative was marked, waiting for the rescore that scores it.

    Written in the marking writer's transaction (roadmap.services.causes), as
    the mark is; the rescore claims the rows with the marks, attaches them to
    the snapshots it writes and deletes them in its own transaction, so a run
    that dies leaves them for the next one. `initiative` None: every
    initiative (a scoring policy change).
    """

    initiative = models.ForeignKey(
        Initiative, null=True, on_delete=models.CASCADE, related_name="+"
    )
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.initiative_id or 'all'}: {self.payload.get('kind')}"


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
