"""Repair what unbounded input could store, before 0014 checks the bounds (see bounds/).

- RICE inputs and segment weights beyond their bounds become the nearest bound.
- An initiative whose stored scores or evidence sums are not finite gets 0 in
  their place, forgets its sums and is marked for a rescore, which recomputes
  it from the repaired inputs.
- A score snapshot holding a non-finite number recorded no real state (an
  overflow): it is deleted. The rescore above records the repaired score.
"""

from django.db import migrations
from django.db.models import Q

REACH_MAX = 1e9
EFFORT_MIN = 0.01
EFFORT_MAX = 10_000.0
WEIGHT_MAX = 100.0
NON_FINITE = (float("inf"), float("-inf"), float("nan"))
SCORES = ("rice_score", "alignment_score", "priority_score", "previous_priority_score")
SUMS = ("reach_weighted", "reach_anonymous")


def _non_finite(*fields: str) -> Q:
    condition = Q()
    for field in fields:
        condition |= Q(**{f"{field}__in": NON_FINITE})
    return condition


def forwards(apps, schema_editor):
    Initiative = apps.get_model("roadmap", "Initiative")
    Segment = apps.get_model("roadmap", "Segment")
    ScoreSnapshot = apps.get_model("roadmap", "ScoreSnapshot")

    Initiative.objects.filter(Q(reach__gt=REACH_MAX) | Q(reach=float("nan"))).update(
        reach=REACH_MAX, needs_rescore=True
    )
    Initiative.objects.filter(effort__lt=EFFORT_MIN).update(effort=EFFORT_MIN, needs_rescore=True)
    Initiative.objects.filter(Q(effort__gt=EFFORT_MAX) | Q(effort=float("nan"))).update(
        effort=EFFORT_MAX, needs_rescore=True
    )
    if Segment.objects.filter(Q(weight__gt=WEIGHT_MAX) | Q(weight=float("nan"))).update(
        weight=WEIGHT_MAX
    ):
        # Every customer's weight feeds the evidence sums: aggregate them all again.
        Initiative.objects.update(reach_anchor=None, needs_rescore=True)

    for field in SCORES:
        Initiative.objects.filter(_non_finite(field)).update(
            **{field: 0.0}, needs_rescore=True, rescore_trigger="schedule"
        )
    Initiative.objects.filter(_non_finite(*SUMS)).update(
        reach_weighted=0.0,
        reach_anonymous=0.0,
        reach_anchor=None,
        needs_rescore=True,
        rescore_trigger="schedule",
    )
    ScoreSnapshot.objects.filter(
        _non_finite(
            "reach", "rice_score", "alignment_score", "priority_score", "previous_priority_score"
        )
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("roadmap", "0012_initiative_owner_unindexed"),
        ("okrs", "0002_clamp_to_bounds"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
