"""The initiative page's "Why it moved": a readable timeline, load more, and a compare view."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from okrs import services as okr_services
from roadmap import services
from roadmap.models import ScoreSnapshot
from roadmap.templatetags.score_causes import signed_score
from roadmap.views.score_history import TIMELINE_PAGE
from tests.factories import (
    AlignmentFactory,
    InitiativeFactory,
    KeyResultFactory,
    MetricFactory,
    UserFactory,
)
from tests.ranks import ranked_ids

pytestmark = pytest.mark.django_db


def _page(client, initiative) -> str:
    response = client.get(reverse("roadmap:initiative", args=[initiative.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def _many_snapshots(initiative, n):
    ScoreSnapshot.objects.bulk_create(
        ScoreSnapshot(
            initiative=initiative,
            reach=1,
            impact=1,
            confidence=1,
            effort=1,
            rice_score=i,
            alignment_score=0,
            priority_score=i,
            previous_priority_score=i - 1,
            rank=1,
            trigger="edit",
            causes=[{"kind": "edit", "field": "reach", "from": i - 1, "to": i, "by": "x"}],
        )
        for i in range(1, n + 1)
    )


def test_the_timeline_says_what_moved_a_key_result_from_where_to_where(marketing_client):
    metric = MetricFactory()
    kr = KeyResultFactory(title="Churn 5% → 3%", metric=metric, current=20, progress=0.2)
    sso = InitiativeFactory(title="SSO", reach=100, impact=1, confidence=100, effort=1)
    AlignmentFactory(initiative=sso, key_result=kr)
    rivals = [InitiativeFactory(reach=r, impact=1, confidence=100, effort=1) for r in (190, 180)]
    services.initiatives_rescore_marked()
    okr_services.metric_readings_ingest(
        actor=None, metric=metric, items=[{"value": 50, "source": "Amplitude"}]
    )
    services.initiatives_rescore_marked()
    sso.refresh_from_db()
    latest = sso.snapshots.first()
    # Closer to its target, the key result's gap (and so SSO's alignment) shrinks.
    assert (latest.previous_rank, latest.rank) == (1, 3)

    text = _text(_page(marketing_client, sso))

    change = signed_score(latest.priority_score - latest.previous_priority_score)
    assert change.startswith("\u2212")
    assert (
        f"#1 → #3: key result Churn 5% → 3% moved 20% → 50% (reading from Amplitude); {change}"
        in text
    )
    assert [r.pk for r in rivals] == list(ranked_ids()[:2])


def test_the_timeline_names_edits_evidence_and_who_passed(product_client):
    priya = UserFactory(username="priya")
    sso = InitiativeFactory(title="SSO", reach=100, effort=4)
    audit = InitiativeFactory(title="Audit log", reach=10)
    services.initiatives_rescore_marked()
    services.initiative_update(actor=priya, initiative=sso, data={"effort": 2})
    services.initiatives_rescore_marked()
    services.initiative_update(actor=priya, initiative=audit, data={"reach": 900})
    services.initiatives_rescore_marked()

    html = _page(product_client, sso)
    text = _text(html)

    assert "#1 → #2: passed by Audit log; ±0" in text
    assert "effort 4 → 2 by priya; +20" in text
    assert f'href="{reverse("roadmap:initiative", args=[audit.pk])}"' in html


def test_the_timeline_loads_older_changes_a_page_at_a_time(product_client):
    initiative = InitiativeFactory()
    _many_snapshots(initiative, TIMELINE_PAGE + 5)
    html = _page(product_client, initiative)
    assert html.count('class="list-item timeline-entry"') == TIMELINE_PAGE
    older = re.search(r'hx-get="([^"]+/timeline/\?before=\d+)"', html).group(1)

    rest = product_client.get(older).content.decode()

    assert rest.count('class="list-item timeline-entry"') == 5
    assert "Older changes" not in rest
    assert "reach 0 → 1 by x" in _text(rest)  # the oldest


def test_the_page_and_the_timeline_run_the_same_queries_for_5_or_500_snapshots(
    product_client, django_assert_max_num_queries
):
    few, many = InitiativeFactory(), InitiativeFactory()
    _many_snapshots(few, 5)
    _many_snapshots(many, 500)
    with CaptureQueriesContext(connection) as baseline:
        _page(product_client, few)
    with django_assert_max_num_queries(len(baseline)):
        _page(product_client, many)
    with CaptureQueriesContext(connection) as baseline:
        product_client.get(reverse("roadmap:initiative-timeline", args=[few.pk]))
    url = reverse("roadmap:initiative-timeline", args=[many.pk])
    newest = many.snapshots.first().pk
    with django_assert_max_num_queries(len(baseline)):
        product_client.get(url, {"before": newest})


def test_two_snapshots_compare_factor_by_factor(product_client):
    initiative = InitiativeFactory(reach=100, impact=1, confidence=100, effort=4)
    services.initiatives_rescore_marked()
    services.initiative_update(actor=None, initiative=initiative, data={"effort": 2})
    services.initiatives_rescore_marked()
    newer, older = initiative.snapshots.all()
    url = reverse("roadmap:snapshot-compare", args=[initiative.pk])

    picked = product_client.get(url, {"s": [newer.pk, older.pk]}).content.decode()
    with_previous = product_client.get(url, {"s": newer.pk}).content.decode()

    assert picked == with_previous
    rows = dict(re.findall(r'data-factor="(\w+)"><th scope="row">\w+</th>(.*?)</tr>', picked))

    def cells(row):
        return [_text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", rows[row])]

    assert cells("effort") == ["4", "2", "\u22122"]
    assert cells("priority") == ["25", "50", "+25"]
    assert cells("reach") == ["100", "100", "±0"]
    assert cells("rank") == ["#1", "#1", "—"]


def test_compare_refuses_another_initiatives_snapshot_and_bad_ids(product_client):
    mine, theirs = InitiativeFactory(), InitiativeFactory()
    services.initiatives_rescore_marked()
    url = reverse("roadmap:snapshot-compare", args=[mine.pk])
    other = theirs.snapshots.get().pk
    assert product_client.get(url, {"s": [mine.snapshots.get().pk, other]}).status_code == 404
    assert product_client.get(url, {"s": "x"}).status_code == 404
    assert product_client.get(url, {"s": mine.snapshots.get().pk}).status_code == 404  # no earlier


def test_the_timeline_needs_a_role(roleless_client):
    initiative = InitiativeFactory()
    response = roleless_client.get(reverse("roadmap:initiative-timeline", args=[initiative.pk]))
    assert response.status_code == 403
