"""An evidence item dated centuries ago (stored before dates were bounded) stops nothing.

Regression: PostgreSQL's POWER(0.5, age / half-life) raised NumericValueOutOfRange
on the underflow, so every recompute, sweep and weekly re-aggregation failed
while the item was linked. Runs on SQLite in `make test` and on PostgreSQL in CI.
"""

from datetime import UTC, datetime

import pytest

from roadmap import services
from roadmap.models import Evidence, Initiative
from roadmap.tasks import rescore_all_initiatives
from tests.factories import CustomerFactory, InitiativeFactory

pytestmark = pytest.mark.django_db

CENTURIES_AGO = datetime(1700, 1, 1, tzinfo=UTC)


def _ingest(initiative, **extra):
    result = services.evidence_ingest(
        actor=None,
        items=[{"source": "nps", "text": "old complaint", "initiative": initiative, **extra}],
    )
    return result.evidence[0].pk


@pytest.mark.parametrize("with_customer", [False, True])
def test_an_item_dated_centuries_ago_decays_to_nothing_and_every_run_lands(with_customer):
    poisoned = InitiativeFactory(reach_source=Initiative.ReachSource.EVIDENCE)
    extra = {"customer": CustomerFactory()} if with_customer else {}
    old = _ingest(poisoned, **extra)
    services.initiatives_rescore_marked()
    # As a row stored before the bounds existed would be.
    Evidence.objects.filter(pk=old).update(received_at=CENTURIES_AGO)
    _ingest(poisoned)  # today's item, next to it
    services.initiatives_mark(ids=[poisoned.pk], trigger="evidence", forget_sums=True)

    services.initiatives_rescore_marked()  # the aggregate reads the old item
    poisoned.refresh_from_db()
    assert poisoned.reach == pytest.approx(1.0, abs=1e-6)  # today's counts, the old one ~0

    unrelated = InitiativeFactory(reach=5)
    assert services.initiatives_rescore_marked().claimed == 1
    unrelated.refresh_from_db()
    assert unrelated.priority_score > 0
    assert rescore_all_initiatives(reaggregate=True) == 2  # the weekly re-aggregation
    assert rescore_all_initiatives() == 2  # the nightly decay
    assert not Initiative.objects.filter(needs_rescore=True).exists()
