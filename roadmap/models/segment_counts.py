"""Evidence counted per initiative and customer segment, for the alignment page's segments tab.

Sorting every open initiative by the evidence (or revenue) of a chosen set of
segments needs an aggregate over all the evidence: about a second at a million
items, ten at ten million. These rows hold that aggregate, recounted as a whole
by `roadmap.services.segment_counts` (periodically, and when the tab finds none);
the tab reads them and says when they were counted. The `group` rows add the
pair rows up by the initiative's status, lane and team, so the segments no
planned work answers are a sum over a few hundred rows instead of over every
pair, and the `group_all` rows do the same for the initiative rows (how many
initiatives in view have evidence). Both follow the initiatives
(`segment_counts_regroup`, called by every change of an initiative's status,
lane or team and by its deletion), so they always equal the rows they add up,
grouped by the initiatives as they are now.
"""

from django.db import models
from django.db.models import F, Q

from .customers import Segment
from .initiatives import Initiative


class SegmentCount(models.Model):
    class Kind(models.TextChoices):
        # One initiative's evidence from one segment (no segment: NULL).
        PAIR = "pair"
        # One initiative's evidence from every segment (segment NULL).
        INITIATIVE = "initiative"
        # One segment's evidence linked to no initiative (initiative NULL).
        UNLINKED = "unlinked"
        # One segment's evidence, all of it (initiative NULL).
        SEGMENT = "segment"
        # One segment's evidence on the initiatives of one status, lane and team
        # (initiative NULL; `initiatives`: how many of them have any).
        GROUP = "group"
        # The `initiative` rows of one status, lane and team added up (initiative
        # and segment NULL; `initiatives`: how many).
        INITIATIVES = "group_all"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    initiative = models.ForeignKey(
        Initiative, null=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    segment = models.ForeignKey(
        Segment, null=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    items = models.PositiveIntegerField()
    # Distinct customers, and the sum of their annual revenue (each counted once).
    customers = models.PositiveIntegerField()
    revenue = models.DecimalField(max_digits=20, decimal_places=2)
    counted_at = models.DateTimeField()
    # The `group` and `group_all` rows' key and initiative count; empty and 0 on
    # the other kinds.
    status = models.CharField(max_length=12, blank=True, default="", db_default="")
    lane = models.CharField(max_length=5, blank=True, default="", db_default="")
    team = models.CharField(max_length=100, blank=True, default="", db_default="")
    initiatives = models.PositiveIntegerField(default=0, db_default=0)

    class Meta:
        indexes = [
            models.Index(fields=["kind", "segment", "initiative"], name="segment_count_kind"),
            models.Index(fields=["initiative", "kind"], name="segment_count_initiative"),
            # The tab's page with every segment: the initiative rows walked in the
            # sort's order until a page of them in view is found.
            *(
                models.Index(
                    F(field).desc(),
                    "initiative",
                    condition=Q(kind="initiative"),
                    name=f"segment_count_by_{field}",
                )
                for field in ("items", "revenue", "customers")
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.initiative_id}/{self.segment_id}: {self.items}"
