import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from okrs.models import KeyResult, MetricReading, Objective
from roadmap.models import Alignment, Customer, Evidence, Initiative, Segment
from tests.ranks import current_ranks


@pytest.mark.django_db(transaction=True)
def test_seed_demo_loads_a_company_once():
    call_command("seed_demo")
    counts = (
        Objective.objects.count(),
        KeyResult.objects.count(),
        Segment.objects.count(),
        Customer.objects.count(),
        Initiative.objects.count(),
        Evidence.objects.count(),
    )
    assert counts == (4, 11, 4, 60, 30, 400)
    assert Evidence.objects.filter(initiative__isnull=True).count() == 60
    assert MetricReading.objects.filter(metric__key="nps").count() == 12
    # the derived Enterprise NPS: computed from the scored nps answers, day by day
    assert MetricReading.objects.filter(metric__key="nps_enterprise").count() > 30
    assert Evidence.objects.filter(source="nps", score__isnull=False).exists()
    assert KeyResult.objects.get(metric__key="nps_enterprise").current == (
        MetricReading.objects.filter(metric__key="nps_enterprise").first().value
    )
    assert Alignment.objects.exists()
    assert set(User.objects.values_list("groups__name", flat=True)) >= {
        "product",
        "marketing",
        "integration",
    }
    # every open initiative is scored and ranked, ranks 1..N with no gaps
    open_work = Initiative.objects.filter(status__in=Initiative.RANKED_STATUSES)
    assert not open_work.filter(rank_key__isnull=True).exists()
    ranks = sorted(rank for rank in current_ranks().values() if rank is not None)
    assert ranks == list(range(1, open_work.count() + 1))
    assert not Initiative.objects.filter(needs_rescore=True).exists()

    call_command("seed_demo")
    assert Evidence.objects.count() == 400
    assert Initiative.objects.count() == 30
