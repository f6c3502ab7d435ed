"""Writes of the timeline: an initiative's plan (start..end quarter) and team capacity."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from audit.services import audit_record, snapshot
from roadmap.models import Initiative, TeamCapacity

from .initiatives import initiative_update

CAPACITY_AUDIT_FIELDS = ["team", "quarter", "person_months"]


@transaction.atomic
def initiative_schedule(
    *,
    actor,
    initiative: Initiative,
    start_quarter: str,
    end_quarter: str,
    expected_version: int | None = None,
) -> Initiative:
    """Move or stretch an initiative's bar; both empty unschedules it.

    The model's validation refuses an end before the start and a plan longer
    than planning.MAX_SPAN_QUARTERS; a stale `expected_version` raises
    StaleVersion. Audited like every edit of an initiative.
    """
    return initiative_update(
        actor=actor,
        initiative=initiative,
        data={"start_quarter": start_quarter, "end_quarter": end_quarter},
        expected_version=expected_version,
    )


@transaction.atomic
def team_capacity_set(
    *, actor, team: str, quarter: str, person_months: float | None
) -> TeamCapacity | None:
    """Set a team's person-months for a quarter; None clears it (no capacity known)."""
    team = (team or "").strip()
    current = TeamCapacity.objects.select_for_update().filter(team=team, quarter=quarter).first()
    if person_months is None:
        if current is not None:
            audit_record(
                actor=actor,
                instance=current,
                action="delete",
                changes={k: [v, None] for k, v in snapshot(current, CAPACITY_AUDIT_FIELDS).items()},
            )
            current.delete()
        return None
    if current is None:
        capacity = TeamCapacity(team=team, quarter=quarter, person_months=person_months)
        capacity.full_clean()
        capacity.save()
        changes = {k: [None, v] for k, v in snapshot(capacity, CAPACITY_AUDIT_FIELDS).items()}
        audit_record(actor=actor, instance=capacity, action="create", changes=changes)
        return capacity
    if current.person_months == person_months:
        return current
    was = current.person_months
    current.person_months = person_months
    current.full_clean()
    current.save(update_fields=["person_months", "updated_at"])
    audit_record(
        actor=actor,
        instance=current,
        action="update",
        changes={"person_months": [was, person_months]},
    )
    return current


@transaction.atomic
def team_capacities_set(
    *, actor, values: dict[tuple[str, str], float | None]
) -> list[TeamCapacity | None]:
    """Several (team, quarter) → person-months at once: all saved or none."""
    saved = []
    errors = {}
    for (team, quarter), person_months in sorted(values.items()):
        try:
            saved.append(
                team_capacity_set(
                    actor=actor, team=team, quarter=quarter, person_months=person_months
                )
            )
        except ValidationError as exc:
            errors[f"{team} {quarter}"] = exc.messages
    if errors:
        raise ValidationError(errors)
    return saved
