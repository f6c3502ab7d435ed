"""An objective rolls up its own key results and its child objectives (docs/OKRS.md)."""

import pytest
from django.core.exceptions import ValidationError

from okrs import services
from okrs.models import KeyResult, Objective
from okrs.progress import WeightedProgress, objective_rollup
from tests.factories import ObjectiveFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("own", "children", "expected"),
    [
        ([], [], 0.0),
        ([(0.5, 1)], [], 0.5),
        ([], [(0.2, 1), (0.6, 1)], 0.4),
        # one key result at 100 % and one child at 0 %: a child counts as one key result
        ([(1.0, 1)], [(0.0, 1)], 0.5),
        # a child with roll-up weight 3 counts three times
        ([(1.0, 1)], [(0.0, 3)], 0.25),
        # key-result weights and roll-up weights share one scale
        ([(1.0, 2), (0.0, 1)], [(0.5, 2)], 0.6),
    ],
)
def test_rollup_is_the_weighted_mean_of_key_results_and_children(own, children, expected):
    value = objective_rollup(
        [WeightedProgress(p, w) for p, w in own], [WeightedProgress(p, w) for p, w in children]
    )
    assert value == pytest.approx(expected)


def _progress(objective) -> float:
    return Objective.objects.get(pk=objective.pk).progress


def _kr(objective, current, **fields):
    return services.key_result_create(
        actor=None, objective=objective, title="KR", start=0, target=100, current=current, **fields
    )


def test_a_key_result_change_walks_up_to_every_ancestor():
    company = ObjectiveFactory(title="Company")
    team = services.objective_create(actor=None, title="Team", period="2026-Q4", parent=company)
    squad = services.objective_create(actor=None, title="Squad", period="2026-Q4", parent=team)
    _kr(company, 100)
    kr = _kr(squad, 0)
    assert (_progress(squad), _progress(team), _progress(company)) == (0.0, 0.0, 0.5)

    services.key_result_update(actor=None, key_result=kr, data={"current": 80})

    assert _progress(squad) == pytest.approx(0.8)
    assert _progress(team) == pytest.approx(0.8)  # no key results of its own: its child's
    assert _progress(company) == pytest.approx(0.9)  # (1.0 + 0.8) / 2


def test_a_check_in_and_a_reading_move_the_parent_too():
    company = ObjectiveFactory()
    team = services.objective_create(actor=None, title="Team", period="2026-Q4", parent=company)
    metric = services.metric_create(actor=None, key="dau", name="DAU")
    by_reading = _kr(team, 0, metric=metric)
    by_check_in = _kr(team, 0)
    services.check_in_create(actor=None, key_result=by_check_in, value=50, confidence="on_track")
    assert _progress(company) == pytest.approx(0.25)
    services.metric_readings_ingest(actor=None, metric=metric, items=[{"value": 100}])
    assert KeyResult.objects.get(pk=by_reading.pk).current == 100
    assert _progress(company) == pytest.approx(0.75)


def test_a_childs_rollup_weight_status_and_parent_change_the_parents_progress():
    company = ObjectiveFactory()
    other = ObjectiveFactory()
    _kr(company, 100)
    team = services.objective_create(actor=None, title="Team", period="2026-Q4", parent=company)
    assert _progress(company) == pytest.approx(0.5)  # a new child with nothing done counts

    services.objective_update(actor=None, objective=team, data={"rollup_weight": 3})
    assert _progress(company) == pytest.approx(0.25)

    services.objective_update(actor=None, objective=team, data={"status": "cancelled"})
    assert _progress(company) == pytest.approx(1.0)  # a cancelled child counts for nothing

    services.objective_update(actor=None, objective=team, data={"status": "active"})
    _kr(team, 100)
    services.objective_update(actor=None, objective=team, data={"parent": other})
    assert _progress(company) == pytest.approx(1.0)
    assert _progress(other) == pytest.approx(1.0)


def test_deleting_a_child_recomputes_its_parent():
    company = ObjectiveFactory()
    _kr(company, 100)
    team = services.objective_create(actor=None, title="Team", period="2026-Q4", parent=company)
    assert _progress(company) == pytest.approx(0.5)
    services.objective_delete(actor=None, objective=team)
    assert _progress(company) == pytest.approx(1.0)


def test_a_parent_cycle_is_refused_and_a_stored_one_cannot_loop_the_rollup():
    a = ObjectiveFactory(title="A")
    b = services.objective_create(actor=None, title="B", period="2026-Q4", parent=a)
    with pytest.raises(ValidationError) as caught:
        services.objective_update(actor=None, objective=a, data={"parent": b})
    assert "parent" in caught.value.message_dict
    # A cycle written behind the services' back (a race, a raw update): the walk ends.
    Objective.objects.filter(pk=a.pk).update(parent=b)
    kr = _kr(b, 0)
    services.key_result_update(actor=None, key_result=kr, data={"current": 60})
    assert 0 < _progress(a) <= 1
    assert 0 < _progress(b) <= 1


def test_rollup_weight_is_bounded():
    with pytest.raises(ValidationError) as caught:
        services.objective_create(actor=None, title="T", period="2026-Q4", rollup_weight=0)
    assert "rollup_weight" in caught.value.message_dict
