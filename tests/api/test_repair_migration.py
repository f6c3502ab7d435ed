"""The data migration repairs non-finite scores and snapshots stored before the bounds.

Regression: stored Infinity snapshots kept 9 pages answering 500 after the
inputs were restored.
"""

import importlib

import pytest
from django.apps import apps

from roadmap import services
from roadmap.models import Initiative, ScoreSnapshot
from tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

repair = importlib.import_module("roadmap.migrations.0013_repair_scores_and_clamp_inputs")
INF = float("inf")


def test_non_finite_scores_are_rescored_and_their_snapshots_removed(product):
    sane, broken = InitiativeFactory(reach=10), InitiativeFactory(reach=20)
    services.initiatives_rescore_marked()
    kept = ScoreSnapshot.objects.get(initiative=sane)
    ScoreSnapshot.objects.filter(initiative=broken).update(priority_score=INF, rice_score=INF)
    Initiative.objects.filter(pk=broken.pk).update(
        rice_score=INF, priority_score=INF, previous_priority_score=-INF, reach_weighted=INF
    )

    repair.forwards(apps, None)

    broken.refresh_from_db()
    assert broken.needs_rescore
    assert broken.reach_anchor is None
    assert (broken.rice_score, broken.priority_score, broken.reach_weighted) == (0, 0, 0)
    assert list(ScoreSnapshot.objects.all()) == [kept]
    services.initiatives_rescore_marked()
    broken.refresh_from_db()
    assert broken.priority_score == pytest.approx(20 * 1 * 0.8 / 1)
    assert broken.rank == 1
    for url in ("/api/v1/priorities/", f"/api/v1/initiatives/{broken.pk}/"):
        assert product.get(url).status_code == 200
