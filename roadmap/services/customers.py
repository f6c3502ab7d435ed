"""Writes to segments and customers.

A segment's weight and a customer's segment feed the evidence-derived reach
(each customer counts with its segment's weight), so a change to either
marks the initiatives with evidence from those customers for a rescore that
re-aggregates their evidence (`forget_sums`). Every write is audited in its
transaction. Segments and customers have no version column: an edit form
sends the fingerprint of the row it showed (`segment_fingerprint`,
`customer_fingerprint`) and a stale one raises StaleVersion.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from audit.services import audit_record, diff, fingerprint, snapshot
from okrs.models import Metric
from okrs.services import StaleVersion, metric_update
from roadmap.models import Customer, Evidence, Initiative, Segment

from .causes import actor_name, cause_value, record_causes
from .marks import initiatives_mark

SEGMENT_AUDIT_FIELDS = ["name", "description", "weight"]
CUSTOMER_AUDIT_FIELDS = ["name", "external_id", "segment", "annual_revenue"]
SEGMENT_FIELDS = set(SEGMENT_AUDIT_FIELDS)
CUSTOMER_FIELDS = {*CUSTOMER_AUDIT_FIELDS, "segment_id"}


def _refuse_unknown(data: dict, allowed: set[str]) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}")


def _assign_changed(instance, data: dict) -> None:
    """Set the values that differ: 10000 typed for a stored 10000.00 is no change."""
    for name, value in data.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)


def _initiatives_with_evidence_from(customers) -> list[int]:
    return list(
        Evidence.objects.filter(customer__in=customers, initiative__isnull=False)
        .values_list("initiative_id", flat=True)
        .distinct()
    )


def _mark_evidence_of(customers, *, actor, changes: dict, **about) -> None:
    """Rescore what these customers' evidence supports, re-aggregating its reach; say why."""
    ids = _initiatives_with_evidence_from(customers)
    initiatives_mark(ids=ids, trigger=Initiative.Trigger.EDIT, forget_sums=True)
    for field, (before, after) in changes.items():
        cause = {"kind": "evidence", **about, "field": field, "from": cause_value(before)}
        record_causes(ids, {**cause, "to": cause_value(after), "by": actor_name(actor)})


def segment_fingerprint(segment: Segment) -> str:
    return fingerprint(segment, SEGMENT_AUDIT_FIELDS)


def customer_fingerprint(customer: Customer) -> str:
    return fingerprint(customer, CUSTOMER_AUDIT_FIELDS)


def _create(model, *, actor, fields: dict, allowed, audited):
    """Validate, save and audit a new row of `model` (segments and customers alike)."""
    _refuse_unknown(fields, allowed)
    obj = model(**fields)
    obj.full_clean()
    obj.save()
    audit_record(actor=actor, instance=obj, action="create", changes=snapshot(obj, audited))
    return obj


def _update(obj, *, actor, data: dict, allowed, audited, expected_fingerprint: str | None):
    """Lock, check the fingerprint, change, validate, save and audit; the row and its changes."""
    _refuse_unknown(data, allowed)
    locked = type(obj).objects.select_for_update().get(pk=obj.pk)
    if expected_fingerprint is not None and expected_fingerprint != fingerprint(locked, audited):
        raise StaleVersion(locked)
    before = snapshot(locked, audited)
    _assign_changed(locked, data)
    locked.full_clean()
    locked.save()
    changes = diff(before, snapshot(locked, audited))
    audit_record(actor=actor, instance=locked, action="update", changes=changes)
    return locked, changes


# --- Segments ------------------------------------------------------------------


@transaction.atomic
def segment_create(*, actor, **fields) -> Segment:
    return _create(
        Segment, actor=actor, fields=fields, allowed=SEGMENT_FIELDS, audited=SEGMENT_AUDIT_FIELDS
    )


@transaction.atomic
def segment_update(
    *, actor, segment: Segment, data: dict, expected_fingerprint: str | None = None
) -> Segment:
    """Change a segment; a new weight rescores the initiatives its customers asked for."""
    locked, changes = _update(
        segment,
        actor=actor,
        data=data,
        allowed=SEGMENT_FIELDS,
        audited=SEGMENT_AUDIT_FIELDS,
        expected_fingerprint=expected_fingerprint,
    )
    if "weight" in changes:
        _mark_evidence_of(
            Customer.objects.filter(segment=locked),
            actor=actor,
            changes={"weight": changes["weight"]},
            segment=locked.name,
        )
    if "name" in changes:
        _rename_in_derived_metrics(*changes["name"], actor=actor)
    return locked


def _rename_in_derived_metrics(old: str, new: str, *, actor) -> None:
    """Derived metrics name their segment as text: a renamed segment takes them along (each
    change audited on the metric, in the segment's transaction), else they match no answers."""
    for metric in Metric.objects.filter(derived_segment=old).order_by("pk"):
        metric_update(actor=actor, metric=metric, data={"derived_segment": new})


def segment_name_problem(name: str) -> str | None:
    """Why a derived metric cannot name `name` (okrs.segment_names asks; None: it can)."""
    if Segment.objects.filter(name=name).exists():
        return None
    near = Segment.objects.filter(name__iexact=name.strip()).values_list("name", flat=True).first()
    if near:
        return f"No segment is named “{name}”; did you mean “{near}”? (Names match exactly.)"
    return (
        f"No segment is named “{name}”: a derived metric limited to it would match no answers."
        " Create the segment first, or leave this empty for all customers."
    )


@transaction.atomic
def segment_delete(*, actor, segment: Segment) -> None:
    """Delete a segment; its customers count with weight 1 again, so their evidence is rescored."""
    affected = _initiatives_with_evidence_from(Customer.objects.filter(segment=segment))
    audit_record(
        actor=actor,
        instance=segment,
        action="delete",
        changes=snapshot(segment, SEGMENT_AUDIT_FIELDS),
    )
    segment.delete()
    initiatives_mark(ids=affected, trigger=Initiative.Trigger.EDIT, forget_sums=True)


# --- Customers -------------------------------------------------------------------


@transaction.atomic
def customer_create(*, actor, **fields) -> Customer:
    return _create(
        Customer,
        actor=actor,
        fields=fields,
        allowed=CUSTOMER_FIELDS,
        audited=CUSTOMER_AUDIT_FIELDS,
    )


@transaction.atomic
def customer_update(
    *, actor, customer: Customer, data: dict, expected_fingerprint: str | None = None
) -> Customer:
    """Change a customer; a new segment or revenue rescores what its evidence supports.

    (Revenue weighs a customer when the scoring policy says so: docs/SCORING.md.)
    """
    locked, changes = _update(
        customer,
        actor=actor,
        data=data,
        allowed=CUSTOMER_FIELDS,
        audited=CUSTOMER_AUDIT_FIELDS,
        expected_fingerprint=expected_fingerprint,
    )
    if "segment" in changes or "annual_revenue" in changes:
        scored = {k: v for k, v in changes.items() if k in ("segment", "annual_revenue")}
        _mark_evidence_of([locked], actor=actor, changes=scored, customer=locked.name)
    return locked


@transaction.atomic
def customer_delete(*, actor, customer: Customer) -> None:
    """Delete a customer; its evidence stays, anonymous, and reach is recomputed."""
    affected = _initiatives_with_evidence_from([customer])
    audit_record(
        actor=actor,
        instance=customer,
        action="delete",
        changes=snapshot(customer, CUSTOMER_AUDIT_FIELDS),
    )
    customer.delete()
    initiatives_mark(ids=affected, trigger=Initiative.Trigger.EDIT, forget_sums=True)


# --- Instance-style entry points ---------------------------------------------------


@transaction.atomic
def segment_save(*, actor, segment: Segment) -> Segment:
    """Create `segment`, or write the fields set on it; for callers holding an instance."""
    data = {name: getattr(segment, name) for name in SEGMENT_AUDIT_FIELDS}
    if segment.pk is None:
        saved = segment_create(actor=actor, **data)
    else:
        saved = segment_update(actor=actor, segment=segment, data=data)
    return saved


@transaction.atomic
def customer_save(*, actor, customer: Customer) -> Customer:
    """Create `customer`, or write the fields set on it; for callers holding an instance."""
    data = {
        "name": customer.name,
        "external_id": customer.external_id,
        "segment_id": customer.segment_id,
        "annual_revenue": customer.annual_revenue,
    }
    if customer.pk is None:
        saved = customer_create(actor=actor, **data)
    else:
        saved = customer_update(actor=actor, customer=customer, data=data)
    return saved
