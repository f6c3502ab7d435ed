"""Customer evidence: ingest (one or many, idempotent by external_id), link, triage."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

import bounds
from access.roles import can_edit_roadmap
from audit.services import audit_record, audit_record_many, snapshot
from roadmap.models import Evidence, Initiative
from roadmap.scoring import experiments

from .causes import actor_name, record_causes
from .derived_metrics import request_derived_metrics
from .evidence_search import documents_refresh
from .evidence_store import (
    NO_EXPERIMENT,
    apply_experiment,
    clean_fields,
    existing_rows,
    experiment_errors,
    insert_rows,
    pend,
    resolve_customers,
    update_rows,
)
from .initiatives import initiative_create
from .marks import initiatives_mark, request_rescore
from .webhook_events import evidence_created

MAX_BATCH = 1000
# What a deleted item's audit entry keeps of it.
EVIDENCE_AUDIT_FIELDS = [
    "source",
    "text",
    "customer",
    "importance",
    "received_at",
    "external_id",
    "score",
]
# Fields an update may change, as the audit names them (attname -> name).
AUDITED = {
    "source": "source",
    "text": "text",
    "importance": "importance",
    "received_at": "received_at",
    "initiative_id": "initiative",
    "customer_id": "customer",
    "score": "score",
    **{name: name for name in Evidence.EXPERIMENT_FIELDS},
}
# A batch that collides with a concurrent first-time ingest of the same
# external ids is tried again (it then finds the other's rows): at most this often.
INGEST_ATTEMPTS = 3


class BatchValidationError(ValidationError):
    """A batch was refused; `errors` maps item index to field errors."""

    def __init__(self, errors: dict[int, dict]):
        self.errors = errors
        super().__init__({str(index): [str(err)] for index, err in errors.items()})


@dataclass(frozen=True)
class IngestedEvidence:
    """One stored item of a batch, as the answer names it."""

    pk: int
    external_id: str | None


@dataclass(frozen=True)
class EvidenceIngestResult:
    evidence: list[IngestedEvidence]  # in the order of the items
    created: int
    updated: int
    # The initiatives to rescore from all their evidence: marked, unless the
    # caller said it marks them itself (`evidence_ingest(marks=...)`).
    rewritten: frozenset[int] = frozenset()


def _pk(value) -> int | None:
    """A reference given as an object or as its id."""
    return value.pk if isinstance(value, models.Model) else value


def _refuse_foreign(actor, existing: dict[str, dict]) -> None:
    """An upsert may change only the caller's own items, unless the caller is `product`."""
    if actor is None or not existing or can_edit_roadmap(actor):
        return
    foreign = sorted(
        (ext, row["id"]) for ext, row in existing.items() if row["created_by_id"] != actor.pk
    )
    if not foreign:
        return
    named = ", ".join(f"{ext!r} (id {pk})" for ext, pk in foreign[:5])
    more = f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
    raise PermissionDenied(
        f"Evidence {named}{more} was added by another account: only that account or a"
        " product role may change it. Nothing was written."
    )


def _is_external_id_conflict(exc: IntegrityError) -> bool:
    text = str(exc)
    return "evidence_external_id_unique" in text or "roadmap_evidence.external_id" in text


@transaction.atomic
def evidence_ingest(
    *, actor, items: list[dict], marks: set[int] | None = None
) -> EvidenceIngestResult:
    """Store evidence items; all or nothing.

    Each item has source, text, received_at (default now), importance, and
    optionally score (nps 0-10, survey 1-5: bounds.SCORE_SCALES), experiment
    (an `experiment` item's result: {metric, variant, lift, ci_low, ci_high,
    p_value, sample_size}, the keys given set, None clears it), customer
    (a Customer or its id), customer_external_id (+ customer_name,
    customer_segment), initiative (an Initiative, its id, or None) and
    external_id. Ids are taken as they are (the API has checked
    them; the foreign keys refuse a missing one). A repeated external_id
    updates the stored item instead of adding one, so a retried batch is
    harmless; an item another account added may be changed only by `product`
    (PermissionDenied otherwise, and nothing is written). Every update is
    audited. Initiatives that gain or lose evidence are rescored: new items
    wait in PendingEvidence for it, other changes mark their initiatives.

    Two batches that both bring the same new external ids at once: the
    second's insert waits for the first to commit, collides, and the batch is
    tried again from its savepoint, now updating the first's rows.

    `marks`: a caller that stores many batches in one transaction (a CSV
    import) gets the initiatives to mark added to this set, and marks them
    once before it commits: marking them batch by batch would rewrite an
    initiative's ~1.5 KB row once per batch that touches it, none of those
    versions reclaimable before the commit (a re-import of 100,000 items left
    the initiative table 36x its size).
    """
    if len(items) > MAX_BATCH:
        raise ValidationError(
            f"A batch holds at most {MAX_BATCH} items; this one has {len(items)}."
        )
    for attempt in range(1, INGEST_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                result = _ingest(actor, items, mark=marks is None)
        except IntegrityError as exc:
            if attempt == INGEST_ATTEMPTS or not _is_external_id_conflict(exc):
                raise
        else:
            if marks is not None:
                marks.update(result.rewritten)
            return result
    raise AssertionError("unreachable")  # pragma: no cover


def _ingest(actor, items: list[dict], *, mark: bool) -> EvidenceIngestResult:
    customers = resolve_customers(items)
    existing = existing_rows([item["external_id"] for item in items if item.get("external_id")])
    _refuse_foreign(actor, existing)
    before = {row["id"]: dict(row) for row in existing.values()}
    actor_id = actor.pk if actor is not None else None
    rewritten: set[int] = set()  # initiatives an updated item leaves or joins
    to_create: list[dict] = []
    to_update: dict[int, dict] = {}
    by_ext: dict[str, dict] = {}
    rows: list[dict] = []
    errors: dict[int, dict] = {}
    now = timezone.now()
    latest = now + bounds.AHEAD
    default_importance = Evidence.Importance.IMPORTANT
    for index, item in enumerate(items):
        ext = item.get("external_id") or None
        row = (by_ext.get(ext) or existing.get(ext)) if ext else None
        if row is None:
            row = {
                "id": None,
                "external_id": ext,
                "created_by_id": actor_id,
                "initiative_id": None,
                "customer_id": None,
                **NO_EXPERIMENT,
            }
            to_create.append(row)
        elif row["id"] is not None:
            to_update[row["id"]] = row
            if row["initiative_id"]:
                rewritten.add(row["initiative_id"])
        row["source"] = item.get("source")
        row["text"] = item.get("text")
        row["importance"] = item.get("importance") or default_importance
        row["received_at"] = item.get("received_at") or now
        row["score"] = item.get("score")
        if row.get("dismissed_reason"):
            # Dismissed in triage: a re-sent item stays dismissed, linked to nothing.
            row["initiative_id"] = None
        elif "initiative" in item or row["id"] is None:
            row["initiative_id"] = _pk(item.get("initiative"))
        if item.get("customer_external_id"):
            row["customer_id"] = customers[item["customer_external_id"]]
        elif "customer" in item or row["id"] is None:
            row["customer_id"] = _pk(item.get("customer"))
        problems = clean_fields(row, latest)
        # A new item without a result has none to check (most of a batch).
        if "experiment" in item or row["id"] is not None:
            if "experiment" in item:
                apply_experiment(row, item["experiment"])
            result_problems = experiment_errors(row)
            if result_problems:
                problems["experiment"] = result_problems
        if problems:
            errors[index] = problems
        if row["initiative_id"] and row["id"] is not None:
            rewritten.add(row["initiative_id"])
        if ext:
            by_ext[ext] = row
        rows.append(row)
    if errors:
        raise BatchValidationError(errors)
    insert_rows(to_create, now)
    evidence_created(to_create)
    update_rows(list(to_update.values()), now)
    documents_refresh(pk for pk, row in to_update.items() if row["text"] != before[pk]["text"])
    _audit_updates(actor, before, to_update.values())
    _experiment_causes(actor, before, to_update.values())
    # New items reach their initiatives' sums through the rescore (pending
    # rows, see PendingEvidence): no initiative row is locked or written here.
    # The rest is aggregated afresh: an initiative an updated item leaves or
    # joins, and one given an item dated in the future (the aggregate counts
    # it as today's until its date comes).
    folded = [r["id"] for r in to_create if r["initiative_id"] and r["received_at"] <= now]
    pend(folded)
    rewritten.update(
        r["initiative_id"] for r in to_create if r["initiative_id"] and r["received_at"] > now
    )
    if mark:
        initiatives_mark(ids=rewritten, trigger=Initiative.Trigger.EVIDENCE)
    if folded:
        request_rescore()
    # Derived NPS/CSAT metrics read scored answers: one coalesced run after commit.
    if any(row["score"] is not None for row in rows) or any(
        old["score"] is not None for old in before.values()
    ):
        request_derived_metrics()
    return EvidenceIngestResult(
        evidence=[IngestedEvidence(row["id"], row["external_id"]) for row in rows],
        created=len(to_create),
        updated=len(to_update),
        rewritten=frozenset(rewritten),
    )


def _significance(row: dict) -> str:
    result = experiments.ExperimentResult(
        lift=row["experiment_lift"],
        ci_low=row["experiment_ci_low"],
        ci_high=row["experiment_ci_high"],
        p_value=row["experiment_p_value"],
    )
    return "significant" if experiments.significant(result) else "not significant"


def _experiment_causes(actor, before: dict[int, dict], updated: Iterable[dict]) -> None:
    """An updated item's changed experiment result names itself as its initiative's cause,
    as PUT /evidence/{id}/experiment/ does (roadmap.services.experiments)."""
    for row in updated:
        old = before[row["id"]]
        if not row["initiative_id"] or all(
            old[name] == row[name] for name in Evidence.EXPERIMENT_FIELDS
        ):
            continue
        record_causes(
            [row["initiative_id"]],
            {
                "kind": "edit",
                "field": "experiment",
                "evidence": row["id"],
                "from": _significance(old),
                "to": _significance(row),
                "by": actor_name(actor),
            },
        )


def _initiative_key(initiative_id: int | None) -> str:
    return f"roadmap.initiative:{initiative_id}" if initiative_id else ""


def _audit_updates(actor, before: dict[int, dict], updated: Iterable[dict]) -> None:
    """One audit entry per updated item that changed, filed under its initiative."""
    entries = []
    for row in updated:
        old = before[row["id"]]
        entries.append(
            {
                "pk": row["id"],
                "repr": row["text"][:60],
                "changes": {
                    name: (old[attname], row[attname])
                    for attname, name in AUDITED.items()
                    if old[attname] != row[attname]
                },
                "related_to": _initiative_key(row["initiative_id"] or old["initiative_id"]),
            }
        )
    audit_record_many(actor=actor, model=Evidence, entries=entries)


@transaction.atomic
def evidence_link(*, actor, evidence_ids: Iterable[int], initiative: Initiative | None) -> int:
    """Link evidence to an initiative (None unlinks it back to the triage inbox); audited."""
    ids = list(set(evidence_ids))
    was = list(
        Evidence.objects.filter(id__in=ids)
        .select_for_update()
        .values_list("id", "initiative_id", "text")
    )
    if len(was) != len(ids):
        raise ValidationError({"evidence": "Some of these evidence items do not exist."})
    new_id = initiative.pk if initiative is not None else None
    # Linking a dismissed item is a triage decision that undoes the dismissal.
    undismiss = {"dismissed_reason": "", "dismissed_at": None} if initiative is not None else {}
    count = Evidence.objects.filter(id__in=ids).update(
        initiative=initiative, updated_at=timezone.now(), **undismiss
    )
    audit_record_many(
        actor=actor,
        model=Evidence,
        entries=[
            {
                "pk": pk,
                "repr": text[:60],
                "changes": {"initiative": (old_id, new_id)} if old_id != new_id else {},
                "related_to": _initiative_key(new_id or old_id),
            }
            for pk, old_id, text in was
        ],
    )
    touched = {old_id for _, old_id, _ in was if old_id}
    if new_id is not None:
        touched.add(new_id)
    initiatives_mark(ids=touched, trigger=Initiative.Trigger.EVIDENCE)
    by = actor_name(actor)
    left: dict[int, int] = {}
    for _, old_id, _ in was:
        if old_id and old_id != new_id:
            left[old_id] = left.get(old_id, 0) + 1
    for old_id, n in left.items():
        record_causes([old_id], {"kind": "evidence", "unlinked": n, "by": by})
    joined = sum(1 for _, old_id, _ in was if old_id != new_id)
    if new_id is not None and joined:
        record_causes([new_id], {"kind": "evidence", "linked": joined, "by": by})
    return count


@transaction.atomic
def evidence_delete(*, actor, evidence: Evidence) -> None:
    initiative_id = evidence.initiative_id
    audit_record(
        actor=actor,
        instance=evidence,
        action="delete",
        changes=snapshot(evidence, EVIDENCE_AUDIT_FIELDS),
        related_to=_initiative_key(initiative_id),
    )
    evidence.delete()
    if initiative_id:
        initiatives_mark(ids=[initiative_id], trigger=Initiative.Trigger.EVIDENCE)
        record_causes([initiative_id], {"kind": "evidence", "removed": 1, "by": actor_name(actor)})
    if evidence.score is not None:
        request_derived_metrics()


@transaction.atomic
def initiative_create_from_evidence(*, actor, evidence: Evidence, title: str) -> Initiative:
    """Triage: turn an inbox item into a new idea backed by that item."""
    initiative = initiative_create(
        actor=actor,
        title=title,
        description=evidence.text,
        reach_source=Initiative.ReachSource.EVIDENCE,
    )
    evidence_link(actor=actor, evidence_ids=[evidence.pk], initiative=initiative)
    return initiative
