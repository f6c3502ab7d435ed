"""A rescore of everything: one FullRescore row, claimed and cleared by the run that does it."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from roadmap import services
from roadmap.models import FullRescore, Initiative, RecomputeRun, ScoreSnapshot
from roadmap.services.rescore import rank
from roadmap.tasks import sweep_marked_initiatives
from tests.factories import CustomerFactory, EvidenceFactory, InitiativeFactory
from tests.ranks import current_ranks

pytestmark = pytest.mark.django_db


def _marks_and_versions():
    return list(Initiative.objects.order_by("id").values_list("needs_rescore", "mark_version"))


def _ask_for_everything(**kwargs):
    return services.initiatives_mark(ids=None, trigger="schedule", **kwargs)


def test_marking_everything_writes_one_request_and_no_initiative_row():
    InitiativeFactory.create_batch(3)
    services.initiatives_rescore_marked()
    before = _marks_and_versions()
    assert _ask_for_everything() == 3
    assert _marks_and_versions() == before  # no row marked, no version bumped
    assert list(FullRescore.objects.values_list("reaggregate", "trigger")) == [(True, "schedule")]
    result = services.initiatives_rescore_marked()
    assert result.claimed == 3
    assert not FullRescore.objects.exists()
    assert services.initiatives_rescore_marked().claimed == 0


def _xmin(pk):
    with connection.cursor() as cursor:
        cursor.execute("SELECT xmin::text FROM roadmap_initiative WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_a_full_rescore_writes_only_the_rows_whose_score_or_rank_moves():
    now = timezone.now()
    decaying = InitiativeFactory(reach_source="evidence", impact=1, confidence=100, effort=1)
    for customer in CustomerFactory.create_batch(15):
        EvidenceFactory(initiative=decaying, customer=customer, received_at=now)
    passed = InitiativeFactory(reach=10, impact=1, confidence=100, effort=1)
    untouched = InitiativeFactory(reach=1, impact=1, confidence=100, effort=1)
    services.initiatives_rescore_marked(now=now)
    ranks = current_ranks()
    assert [ranks[i.pk] for i in (decaying, passed, untouched)] == [1, 2, 3]
    scored = dict(Initiative.objects.values_list("id", "scored_at"))
    if connection.vendor == "postgresql":
        untouched_row = _xmin(untouched.pk)
    snapshots = ScoreSnapshot.objects.count()

    _ask_for_everything(forget_sums=False)
    later = now + timedelta(days=90)  # one half-life: 15 -> 7.5, below the manual 10
    result = services.initiatives_rescore_marked(now=later)

    assert result.claimed == 3
    rows = {row["id"]: row for row in Initiative.objects.values()}
    placed = current_ranks()
    assert rows[decaying.pk]["reach"] == pytest.approx(7.5, abs=1e-3)
    assert (placed[decaying.pk], rows[decaying.pk]["previous_rank"]) == (2, 1)
    # Its score stands, its rank moved near the top: its "before" written, as
    # for a row the run did not claim; its score (and scored_at) as they were.
    assert (placed[passed.pk], rows[passed.pk]["previous_rank"]) == (1, 2)
    assert rows[passed.pk]["previous_priority_score"] == rows[passed.pk]["priority_score"]
    assert rows[passed.pk]["scored_at"] == scored[passed.pk]
    assert rows[decaying.pk]["scored_at"] == later
    # Neither moved: the run left the row as it was.
    assert placed[untouched.pk] == 3
    assert rows[untouched.pk]["scored_at"] == scored[untouched.pk]
    if connection.vendor == "postgresql":
        assert _xmin(untouched.pk) == untouched_row
    assert result.changed_ids == [decaying.pk]
    # A snapshot of the decay, and one of the rank it cost (near the top, a
    # rank that moves while the score stands is one too).
    assert ScoreSnapshot.objects.count() == snapshots + 2
    assert decaying.snapshots.first().causes == [{"kind": "decay"}]
    assert passed.snapshots.first().causes == [
        {"kind": "rank_shift", "passed": [{"id": decaying.pk, "title": decaying.title}]}
    ]


def test_a_full_rescore_re_anchors_only_sums_that_differ_from_the_kept_ones():
    now = timezone.now()
    manual_with_evidence = InitiativeFactory(reach=5)
    EvidenceFactory(initiative=manual_with_evidence, customer=CustomerFactory(), received_at=now)
    drifted = InitiativeFactory(reach=4)
    EvidenceFactory(initiative=drifted, customer=CustomerFactory(), received_at=now)
    services.initiatives_rescore_marked(now=now)
    Initiative.objects.filter(pk=drifted.pk).update(reach_weighted=3.0)
    kept = dict(Initiative.objects.values_list("id", "reach_anchor"))

    _ask_for_everything(forget_sums=True)
    services.initiatives_rescore_marked(now=now + timedelta(days=1))

    anchors = dict(Initiative.objects.values_list("id", "reach_anchor"))
    sums = dict(Initiative.objects.values_list("id", "reach_weighted"))
    assert anchors[manual_with_evidence.pk] == kept[manual_with_evidence.pk]  # the same sums
    assert anchors[drifted.pk] > kept[drifted.pk]
    assert sums[drifted.pk] == pytest.approx(0.5 ** (1 / 90))  # repaired: one customer, a day old


def test_a_full_rescore_that_fails_is_still_asked_for(monkeypatch):
    InitiativeFactory.create_batch(2)
    services.initiatives_rescore_marked()
    _ask_for_everything()

    def fails(cursor):
        raise RuntimeError("worker lost")

    monkeypatch.setattr(rank, "standing", fails)
    with pytest.raises(RuntimeError, match="worker lost"):
        services.initiatives_rescore_marked()
    assert FullRescore.objects.count() == 1
    monkeypatch.undo()
    # The sweep finds it (a nudge lost with the worker would have missed it).
    assert sweep_marked_initiatives() == 2
    assert not FullRescore.objects.exists()


def test_a_full_rescore_asked_for_during_a_run_waits_for_the_next(monkeypatch):
    InitiativeFactory.create_batch(2)
    services.initiatives_rescore_marked()
    _ask_for_everything()
    standing = rank.standing

    def asked_meanwhile(cursor):
        FullRescore.objects.create()  # after the claim read the requests
        return standing(cursor)

    monkeypatch.setattr(rank, "standing", asked_meanwhile)
    assert services.initiatives_rescore_marked().claimed == 2
    assert FullRescore.objects.count() == 1
    monkeypatch.undo()
    assert services.initiatives_rescore_marked().claimed == 2
    assert not FullRescore.objects.exists()


def test_a_full_rescore_of_no_initiatives_is_done_too():
    _ask_for_everything()
    assert services.initiatives_rescore_marked().claimed == 0
    assert not FullRescore.objects.exists()


def test_a_mark_keeps_its_trigger_inside_a_full_rescore():
    edited = InitiativeFactory(reach=10)
    other = InitiativeFactory(reach=20)
    services.initiatives_rescore_marked()
    Initiative.objects.filter(pk=edited.pk).update(reach=30)
    services.initiatives_mark(ids=[edited.pk], trigger="edit")
    _ask_for_everything(forget_sums=False)
    result = services.initiatives_rescore_marked()
    assert result.changed_ids == [edited.pk]
    assert edited.snapshots.first().trigger == "edit"
    # Its first scoring, and the rank it lost to the edited one (score unchanged).
    assert [s.causes[0]["kind"] for s in other.snapshots.all()[:1]] == ["rank_shift"]
    assert other.snapshots.count() == 2


def test_a_second_full_rescore_at_the_same_moment_writes_no_initiative_row():
    now = timezone.now()
    backed = InitiativeFactory(reach_source="evidence", impact=1, confidence=100, effort=1)
    EvidenceFactory(initiative=backed, customer=CustomerFactory(), received_at=now)
    InitiativeFactory.create_batch(2)
    _ask_for_everything()
    services.initiatives_rescore_marked(now=now)
    rows = list(Initiative.objects.order_by("id").values_list("id", "scored_at", "rank_key"))
    if connection.vendor == "postgresql":
        versions = [_xmin(pk) for pk, _, _ in rows]
    _ask_for_everything()  # re-aggregate: the same sums come back
    again = services.initiatives_rescore_marked(now=now)
    assert again.claimed == 3
    assert again.changed_ids == []
    assert (
        list(Initiative.objects.order_by("id").values_list("id", "scored_at", "rank_key")) == rows
    )
    if connection.vendor == "postgresql":
        assert [_xmin(pk) for pk, _, _ in rows] == versions


def test_an_operator_asks_for_a_full_rescore_in_the_admin(
    client, django_capture_on_commit_callbacks
):
    from tests.factories import UserFactory

    InitiativeFactory.create_batch(2)
    services.initiatives_rescore_marked()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    listing = client.get("/admin/roadmap/fullrescore/")
    assert listing.status_code == 200
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            "/admin/roadmap/fullrescore/add/", {"reaggregate": "on", "trigger": "edit"}
        )
    assert response.status_code == 302
    assert callbacks  # the nudge, sent after commit; eager here, so the run is done
    assert not FullRescore.objects.exists()
    run = RecomputeRun.objects.order_by("-id").first()
    assert (run.claimed, run.trigger) == (2, "edit")
