"""Each cause's share of a score change when several arrive in one run: Shapley values over
the causes (roadmap.scoring.attribution), summing to the change, in the snapshot, the history
API, the webhook and the timeline; none where no exact attribution exists."""

import itertools

import pytest

from okrs import services as okr_services
from roadmap import scoring, services, webhooks
from roadmap.models import WebhookDelivery
from roadmap.scoring import attribution
from roadmap.templatetags.score_causes import signed_score
from tests.api.webhook_support import subscription_for
from tests.factories import (
    AlignmentFactory,
    InitiativeFactory,
    KeyResultFactory,
    MetricFactory,
    ObjectiveFactory,
    UserFactory,
)

INPUTS = scoring.ScoreInputs("manual", 10.0, 2.0, 80.0, 1.0)
EDIT = {"kind": "edit", "by": "priya"}


def _edit(field, was, now):
    return {**EDIT, "field": field, "from": was, "to": now}


def test_two_edits_split_the_change_by_shapley_values():
    """10 x 1 x 80% / 3 = 2.67 -> 10 x 2 x 80% / 1 = 16: effort 8, impact 5.33."""
    causes = [_edit("effort", 3.0, 1.0), _edit("impact", 1.0, 2.0)]
    before = 10 * 1 * 0.8 / 3
    got = attribution.shares(
        causes, INPUTS, scoring.DEFAULT_POLICY, previous_score=before, previous_reach=10
    )
    assert got == pytest.approx([8.0, 16 / 3])
    assert sum(got) == pytest.approx(16 - before)


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_shares_sum_to_the_change_in_any_order(order):
    links = (
        scoring.AlignmentLink(1, "KR", 7, "O", "strong", 2.0, 0.6),
        scoring.AlignmentLink(2, "KR2", 8, "O2", "weak", 1.0, 0.1),
    )
    inputs = scoring.ScoreInputs("manual", 40.0, 2.0, 50.0, 2.0, links=links)
    causes = [
        {"kind": "key_result", "key_result": 1, "from_progress": 0.2, "to_progress": 0.6},
        {"kind": "objective", "objective": 8, "field": "weight", "from": 3.0, "to": 1.0},
        _edit("confidence", 90.0, 50.0),
    ]
    before_links = (
        scoring.AlignmentLink(1, "KR", 7, "O", "strong", 2.0, 0.2),
        scoring.AlignmentLink(2, "KR2", 8, "O2", "weak", 3.0, 0.1),
    )
    before = scoring.priority_of(
        scoring.ScoreInputs("manual", 40.0, 2.0, 90.0, 2.0, links=before_links)
    )
    after = scoring.priority_of(inputs)
    ordered = [causes[n] for n in order]
    got = attribution.shares(
        ordered, inputs, scoring.DEFAULT_POLICY, previous_score=before, previous_reach=40
    )
    assert sum(got) == pytest.approx(after - before)
    by_kind = {c["kind"]: share for c, share in zip(ordered, got, strict=True)}
    first = attribution.shares(
        causes, inputs, scoring.DEFAULT_POLICY, previous_score=before, previous_reach=40
    )
    assert [by_kind[c["kind"]] for c in causes] == pytest.approx(first)  # order-free


def test_no_shares_where_the_causes_do_not_explain_the_change():
    causes = [_edit("effort", 3.0, 1.0), _edit("impact", 1.0, 2.0)]
    # The score before was not what these two reverted give: something unnamed changed.
    assert (
        attribution.shares(
            causes, INPUTS, scoring.DEFAULT_POLICY, previous_score=99.0, previous_reach=10
        )
        is None
    )
    removed = {"kind": "alignment", "key_result": 3, "from": "strong", "to": None}
    assert (
        attribution.shares(
            [causes[0], removed],
            INPUTS,
            scoring.DEFAULT_POLICY,
            previous_score=0.0,
            previous_reach=10,
        )
        is None
    )


@pytest.mark.django_db
def test_a_run_with_a_reading_a_weight_and_an_edit_shares_the_change_everywhere(
    client, product, product_user, django_capture_on_commit_callbacks
):
    priya = UserFactory(username="priya")
    metric = MetricFactory()
    objective = ObjectiveFactory(weight=1)
    kr = KeyResultFactory(objective=objective, metric=metric, current=20, progress=0.2)
    initiative = InitiativeFactory(reach=100, impact=1, confidence=80, effort=2)
    AlignmentFactory(initiative=initiative, key_result=kr, contribution="strong")
    services.initiatives_rescore_marked()
    subscription_for("https://93.184.215.14/a")
    initiative.refresh_from_db()
    before = initiative.priority_score

    okr_services.metric_readings_ingest(
        actor=None, metric=metric, items=[{"value": 50, "source": "Amplitude"}]
    )
    okr_services.objective_update(actor=priya, objective=objective, data={"weight": 3})
    services.initiative_update(actor=priya, initiative=initiative, data={"effort": 1})
    result = services.initiatives_rescore_marked()

    initiative.refresh_from_db()
    change = initiative.priority_score - before
    snapshot = initiative.snapshots.first()
    kinds = [c["kind"] for c in snapshot.causes]
    assert sorted(kinds) == ["edit", "key_result", "objective"]
    assert all("share" in c for c in snapshot.causes)
    assert sum(c["share"] for c in snapshot.causes) == pytest.approx(change, abs=1e-3)
    assert all(c["share"] != 0 for c in snapshot.causes)

    history = product.get(f"/api/v1/priorities/{initiative.pk}/history/").json()["results"][0]
    assert history["causes"] == snapshot.causes

    with django_capture_on_commit_callbacks(execute=False):
        webhooks.priority_changed_enqueue(snapshot_ids=result.snapshot_ids)
    (sent,) = WebhookDelivery.objects.get().payload["data"]["initiatives"]
    assert sent["causes"] == snapshot.causes

    client.force_login(product_user)
    page = client.get(f"/initiatives/{initiative.pk}/").content.decode()
    edit = next(c for c in snapshot.causes if c["kind"] == "edit")
    shown = signed_score(edit["share"])
    assert (
        f'effort 2 → 1 by priya <span class="share" title="its share of the change">{shown}</span>'
        in page
    )


def test_a_coalition_that_cannot_be_scored_gives_no_shares():
    """Framework and formula changed together: the custom framework without its formula
    cannot score, so no exact attribution (and the run is not harmed)."""
    policy = scoring.ScoringPolicy(framework="custom", formula="reach * impact")
    causes = [
        {"kind": "policy", "field": "framework", "from": "rice", "to": "custom"},
        {"kind": "policy", "field": "formula", "from": "", "to": "reach * impact"},
    ]
    before = scoring.priority_of(INPUTS)
    assert (
        attribution.shares(causes, INPUTS, policy, previous_score=before, previous_reach=10) is None
    )
