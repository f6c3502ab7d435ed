"""Bring stored goal numbers into the documented bounds (see bounds/) before 0003 checks them.

Weights above bounds.WEIGHT_MAX become it; values beyond +-bounds.VALUE_ABS_MAX
(infinities and NaN included) become the nearest bound. Nothing is deleted.
"""

from django.db import migrations
from django.db.models import Q

WEIGHT_MAX = 100.0
VALUE_ABS_MAX = 1e15


def _clamp(model, field: str) -> None:
    too_big = Q(**{f"{field}__gt": VALUE_ABS_MAX}) | Q(**{field: float("nan")})
    model.objects.filter(too_big).update(**{field: VALUE_ABS_MAX})
    model.objects.filter(**{f"{field}__lt": -VALUE_ABS_MAX}).update(**{field: -VALUE_ABS_MAX})


def forwards(apps, schema_editor):
    Objective = apps.get_model("okrs", "Objective")
    KeyResult = apps.get_model("okrs", "KeyResult")
    Objective.objects.filter(weight__gt=WEIGHT_MAX).update(weight=WEIGHT_MAX)
    KeyResult.objects.filter(weight__gt=WEIGHT_MAX).update(weight=WEIGHT_MAX)
    for name in ("start", "target", "current"):
        _clamp(KeyResult, name)
    _clamp(apps.get_model("okrs", "MetricReading"), "value")
    _clamp(apps.get_model("okrs", "CheckIn"), "value")


class Migration(migrations.Migration):
    dependencies = [("okrs", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
