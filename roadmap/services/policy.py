"""The team's scoring policy: read it, change it (audited, everything rescored once).

`policy_current()` is what every rescore scores with (rescore/run.py) and
what a preview compares against. With no row stored, the defaults: RICE,
alignment as always, the half-life and floor in settings.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from audit.services import audit_record, diff, snapshot
from okrs.services import StaleVersion
from roadmap import scoring
from roadmap.models import Initiative, ScoringSettings
from roadmap.models.policy import SINGLETON_ID

from .causes import record_causes
from .marks import initiatives_mark
from .read_cache import priorities_changed

POLICY_FIELDS = [
    "framework",
    "formula",
    "alignment_weight",
    "unaligned_factor",
    "importance_nice_to_have",
    "importance_important",
    "importance_critical",
    "revenue_weight",
    "experiment_confidence",
    "half_life_days",
]
# The names a custom formula may use, with what each means (for the settings page).
FORMULA_INPUTS = scoring.expression.INPUTS
# Fields whose change alters what the kept evidence sums hold: every sum is aggregated again.
EVIDENCE_FIELDS = {
    "importance_nice_to_have",
    "importance_important",
    "importance_critical",
    "revenue_weight",
    "half_life_days",
}


def scoring_settings_get() -> ScoringSettings:
    """The stored policy, or (none stored yet) the defaults as an unsaved row."""
    stored = ScoringSettings.objects.filter(pk=SINGLETON_ID).first()
    if stored is not None:
        return stored
    return ScoringSettings(
        pk=SINGLETON_ID, half_life_days=settings.PRIORITY_EVIDENCE_HALF_LIFE_DAYS
    )


def policy_of(row: ScoringSettings) -> scoring.ScoringPolicy:
    return row.policy(alignment_floor=settings.PRIORITY_ALIGNMENT_FLOOR)


def policy_current() -> scoring.ScoringPolicy:
    """The policy a rescore uses now (one query)."""
    return policy_of(scoring_settings_get())


def scoring_settings_build(data: dict, base: ScoringSettings | None = None) -> ScoringSettings:
    """An unsaved copy of the policy with `data` applied and validated (ValidationError)."""
    unknown = set(data) - set(POLICY_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}")
    row = base if base is not None else scoring_settings_get()
    proposed = ScoringSettings(**{name: getattr(row, name) for name in POLICY_FIELDS})
    proposed.pk = SINGLETON_ID
    proposed.version = row.version
    for name, value in data.items():
        setattr(proposed, name, value)
    # The CHECK constraints restate the validators; checking them would cost a query each.
    proposed.full_clean(exclude=["id"], validate_unique=False, validate_constraints=False)
    return proposed


@transaction.atomic
def scoring_policy_update(
    *, actor, data: dict, expected_version: int | None = None
) -> ScoringSettings:
    """Change the policy; a stale `expected_version` raises StaleVersion.

    A change rescores every initiative once (one FullRescore; its evidence
    aggregated again when an evidence weight or the half-life changed), is
    audited, and each snapshot of that run names it as a `policy` cause.
    """
    locked, _ = ScoringSettings.objects.select_for_update().get_or_create(
        pk=SINGLETON_ID,
        defaults={"half_life_days": settings.PRIORITY_EVIDENCE_HALF_LIFE_DAYS},
    )
    if expected_version is not None and expected_version != locked.version:
        raise StaleVersion(locked)
    before = snapshot(locked, POLICY_FIELDS)
    proposed = scoring_settings_build(data, base=locked)
    changes = diff(before, snapshot(proposed, POLICY_FIELDS))
    if not changes:
        return locked
    for name in POLICY_FIELDS:
        setattr(locked, name, getattr(proposed, name))
    audit_record(actor=actor, instance=locked, action="update", changes=changes)
    locked.version = F("version") + 1
    locked.save()
    initiatives_mark(
        ids=None,
        trigger=Initiative.Trigger.EDIT,
        forget_sums=bool(EVIDENCE_FIELDS & set(changes)),
    )
    by = actor.get_username() if actor is not None and actor.is_authenticated else None
    for field, (old, new) in changes.items():
        record_causes(None, {"kind": "policy", "field": field, "from": old, "to": new, "by": by})
    priorities_changed()
    locked.refresh_from_db()
    return locked
