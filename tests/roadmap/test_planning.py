"""The timeline's plan: quarter maths, spreading effort, capacity, and the services."""

import importlib
from datetime import date

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.models import AuditEntry
from okrs.services import StaleVersion
from roadmap import services
from roadmap.models import Initiative, TeamCapacity
from roadmap.planning import (
    Load,
    effort_in_quarter,
    quarter_index,
    quarter_label,
    quarter_shift,
    quarter_span,
    quarters_from,
    schedule_error,
)
from roadmap.selectors_timeline import planned_effort
from tests.factories import InitiativeFactory, UserFactory

pytestmark = pytest.mark.django_db


# --- Pure maths ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quarter", "index"), [("2026-Q1", 8104), ("2026-Q4", 8107), ("2027-Q1", 8108)]
)
def test_quarter_index_counts_quarters_consecutively(quarter, index):
    assert quarter_index(quarter) == index
    assert quarter_label(index) == quarter


def test_quarter_arithmetic_crosses_years():
    assert quarter_shift("2026-Q4", 1) == "2027-Q1"
    assert quarter_shift("2026-Q1", -1) == "2025-Q4"
    assert quarter_span("2026-Q3", "2027-Q2") == 4
    assert quarters_from("2026-Q3", 3) == ["2026-Q3", "2026-Q4", "2027-Q1"]


@pytest.mark.parametrize("bad", ["", "2026-Q5", "2026Q1", "26-Q1"])
def test_quarter_index_refuses_what_is_not_a_quarter(bad):
    with pytest.raises(ValueError, match="is not a quarter"):
        quarter_index(bad)


@pytest.mark.parametrize(
    ("start", "end", "error"),
    [
        ("", "", None),
        ("2026-Q1", "2026-Q1", None),
        ("2026-Q1", "2027-Q4", None),  # 8 quarters: the longest plan
        ("2026-Q1", "2028-Q1", ("end_quarter", "A plan spans at most 8 quarters")),
        ("2026-Q3", "2026-Q2", ("end_quarter", "The end quarter cannot be before the start")),
        ("2026-Q3", "", ("end_quarter", "Set both the start and the end quarter, or neither.")),
        ("", "2026-Q3", ("start_quarter", "Set both the start and the end quarter, or neither.")),
    ],
)
def test_schedule_error(start, end, error):
    found = schedule_error(start, end)
    if error is None:
        assert found is None
    else:
        assert found[0] == error[0]
        assert found[1].startswith(error[1])


def test_effort_is_spread_evenly_over_the_quarters_a_plan_spans():
    assert effort_in_quarter(6, "2026-Q2", "2026-Q4", "2026-Q1") == 0
    assert effort_in_quarter(6, "2026-Q2", "2026-Q4", "2026-Q2") == 2
    assert effort_in_quarter(6, "2026-Q2", "2026-Q4", "2026-Q4") == 2
    assert effort_in_quarter(6, "2026-Q2", "2026-Q4", "2027-Q1") == 0
    assert effort_in_quarter(6, "", "", "2026-Q2") == 0


def test_a_quarter_planned_beyond_its_capacity_is_over_by_the_shortfall():
    assert Load(planned=7.5, capacity=5).shortfall == 2.5
    assert Load(planned=7.5, capacity=5).over
    assert not Load(planned=5, capacity=5).over
    assert Load(planned=4, capacity=5).shortfall == 0
    # No capacity set: nobody said how much there is, so nothing is over.
    assert not Load(planned=40, capacity=None).over
    assert Load(planned=40, capacity=None).use is None
    assert Load(planned=3, capacity=4).use == 0.75


# --- The SQL twin agrees with the pure maths ----------------------------------------------

plans = st.lists(
    st.tuples(
        st.sampled_from(["A", "B", ""]),
        st.floats(min_value=0.01, max_value=10_000),
        st.integers(min_value=8100, max_value=8112),
        st.integers(min_value=0, max_value=7),
        st.booleans(),
    ),
    max_size=12,
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(plans=plans, first=st.integers(min_value=8100, max_value=8112))
def test_planned_effort_in_sql_is_the_pure_spread_summed_per_team(plans, first):
    Initiative.objects.all().delete()
    rows = []
    for team, effort, start, length, scheduled in plans:
        start_q = quarter_label(start) if scheduled else ""
        end_q = quarter_label(start + length) if scheduled else ""
        rows.append(Initiative(team=team, effort=effort, start_quarter=start_q, end_quarter=end_q))
    Initiative.objects.bulk_create(rows)
    window = quarters_from(quarter_label(first), 6)
    got = planned_effort(Initiative.objects.all(), window)
    expected: dict[str, list[float]] = {}
    for row in rows:
        spread = [
            effort_in_quarter(row.effort, row.start_quarter, row.end_quarter, q) for q in window
        ]
        if any(spread):
            sums = expected.setdefault(row.team, [0.0] * len(window))
            expected[row.team] = [a + b for a, b in zip(sums, spread, strict=True)]
    assert set(got) == set(expected)
    for team, sums in expected.items():
        assert got[team] == pytest.approx(sums, rel=1e-9, abs=1e-9)


# --- The model refuses what is not a plan ------------------------------------------------


def test_the_database_refuses_an_end_before_the_start_and_a_plan_past_eight_quarters():
    initiative = InitiativeFactory()
    for start, end in (("2026-Q3", "2026-Q2"), ("2026-Q1", "2028-Q1"), ("2026-Q1", "")):
        with pytest.raises(IntegrityError), transaction.atomic():
            Initiative.objects.filter(pk=initiative.pk).update(start_quarter=start, end_quarter=end)
    Initiative.objects.filter(pk=initiative.pk).update(
        start_quarter="2026-Q1", end_quarter="2027-Q4"
    )


# --- Services --------------------------------------------------------------------------


@pytest.fixture
def pat():
    return UserFactory(username="pat", groups=["product"])


def test_moving_a_bar_keeps_its_span_and_is_audited(pat):
    initiative = InitiativeFactory(start_quarter="2026-Q2", end_quarter="2026-Q3")
    saved = services.initiative_schedule(
        actor=pat,
        initiative=initiative,
        start_quarter="2026-Q4",
        end_quarter="2027-Q1",
        expected_version=1,
    )
    assert (saved.start_quarter, saved.end_quarter, saved.version) == ("2026-Q4", "2027-Q1", 2)
    entry = AuditEntry.objects.filter(action="update", object_id=initiative.pk).get()
    assert entry.actor == pat
    assert entry.changes == {
        "start_quarter": ["2026-Q2", "2026-Q4"],
        "end_quarter": ["2026-Q3", "2027-Q1"],
    }


def test_stretching_a_bar_past_eight_quarters_is_refused_and_nothing_changes(pat):
    initiative = InitiativeFactory(start_quarter="2026-Q2", end_quarter="2026-Q3")
    with pytest.raises(ValidationError) as exc:
        services.initiative_schedule(
            actor=pat, initiative=initiative, start_quarter="2026-Q2", end_quarter="2028-Q2"
        )
    assert exc.value.message_dict == {
        "end_quarter": ["A plan spans at most 8 quarters (two years); split longer work."]
    }
    initiative.refresh_from_db()
    assert (initiative.end_quarter, initiative.version) == ("2026-Q3", 1)
    assert not AuditEntry.objects.filter(action="update").exists()


def test_an_end_before_the_start_is_refused(pat):
    initiative = InitiativeFactory(start_quarter="2026-Q2", end_quarter="2026-Q3")
    with pytest.raises(ValidationError) as exc:
        services.initiative_schedule(
            actor=pat, initiative=initiative, start_quarter="2026-Q4", end_quarter="2026-Q3"
        )
    assert exc.value.message_dict == {
        "end_quarter": ["The end quarter cannot be before the start quarter."]
    }


def test_a_stale_version_is_refused(pat):
    initiative = InitiativeFactory(start_quarter="2026-Q2", end_quarter="2026-Q3")
    services.initiative_update(actor=pat, initiative=initiative, data={"title": "Renamed"})
    with pytest.raises(StaleVersion):
        services.initiative_schedule(
            actor=pat,
            initiative=initiative,
            start_quarter="2026-Q3",
            end_quarter="2026-Q4",
            expected_version=1,
        )
    initiative.refresh_from_db()
    assert initiative.start_quarter == "2026-Q2"


def test_a_plan_is_not_a_scored_field_and_marks_no_rescore(pat):
    initiative = InitiativeFactory(start_quarter="2026-Q2", end_quarter="2026-Q3")
    services.initiatives_rescore_marked()
    services.initiative_schedule(actor=pat, initiative=initiative, start_quarter="", end_quarter="")
    initiative.refresh_from_db()
    assert (initiative.start_quarter, initiative.needs_rescore) == ("", False)


def test_capacity_set_update_and_clear_are_audited(pat):
    services.team_capacity_set(actor=pat, team="Core", quarter="2026-Q4", person_months=12)
    services.team_capacity_set(actor=pat, team="Core", quarter="2026-Q4", person_months=10.5)
    assert TeamCapacity.objects.get().person_months == 10.5
    services.team_capacity_set(actor=pat, team="Core", quarter="2026-Q4", person_months=None)
    assert not TeamCapacity.objects.exists()
    entries = AuditEntry.objects.order_by("id")
    assert [(e.action, e.changes.get("person_months")) for e in entries] == [
        ("create", [None, 12.0]),
        ("update", [12.0, 10.5]),
        ("delete", [10.5, None]),
    ]


def test_capacity_out_of_bounds_saves_nothing(pat):
    with pytest.raises(ValidationError) as exc:
        services.team_capacities_set(
            actor=pat,
            values={("Core", "2026-Q3"): 5, ("Core", "2026-Q4"): -1, ("", "2026-Q4"): 3},
        )
    assert exc.value.message_dict == {
        "Core 2026-Q4": ["Ensure this value is greater than or equal to 0."],
        " 2026-Q4": ["This field cannot be blank."],
    }
    assert not TeamCapacity.objects.exists()
    assert not AuditEntry.objects.exists()


# --- The migration's defaults for existing rows ---------------------------------------------

plan_migration = importlib.import_module("roadmap.migrations.0024_initiative_plan_team_capacity")


def test_existing_work_is_planned_from_its_target_quarter_else_its_lane(monkeypatch):
    monkeypatch.setattr(plan_migration.timezone, "localdate", lambda: date(2026, 12, 6))
    targeted = InitiativeFactory(lane="later", target_quarter="2027-Q3")
    now = InitiativeFactory(lane="now")
    following = InitiativeFactory(lane="next")
    later = InitiativeFactory(lane="later")
    plan_migration.plan_from_quarter_or_lane(apps, None)
    got = {i.pk: (i.start_quarter, i.end_quarter) for i in Initiative.objects.all()}
    assert got == {
        targeted.pk: ("2027-Q3", "2027-Q3"),
        now.pk: ("2026-Q4", "2026-Q4"),
        following.pk: ("2027-Q1", "2027-Q1"),
        later.pk: ("", ""),
    }
