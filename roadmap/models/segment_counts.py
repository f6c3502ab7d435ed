"""Evidence counted per initiative and customer segment, for the alignment page's segments tab.

Sorting every open initiative by the evidence (or revenue) of a chosen set of
segments needs an aggregate over all the evidence: about a second at a million
items, ten at ten million. These rows hold that aggregate, recounted as a whole
by `roadmap.services.segment_counts` (periodically, and when the tab finds none);
the tab reads them and says when they were counted.
"""

from django.db import models

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

    class Meta:
        indexes = [
            models.Index(fields=["kind", "segment", "initiative"], name="segment_count_kind"),
            models.Index(fields=["initiative", "kind"], name="segment_count_initiative"),
        ]

    def __str__(self):
        return f"{self.kind} {self.initiative_id}/{self.segment_id}: {self.items}"
