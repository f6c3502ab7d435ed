"""Why a priority moved: causes recorded with the marks, listed on the snapshots.

A writer that marks initiatives for a rescore records why, in the same
transaction (`record_causes`): a `PendingCause` row per initiative, or one
row for every initiative (`initiative_ids=None`, e.g. a scoring policy
change). The rescore claims them with the marks, lists them on the
snapshots it writes and deletes them in its own transaction
(roadmap/services/rescore/causes.py), so a run that dies leaves them for
the next one, as it leaves the marks.

A cause is a small JSON object with a `kind` (`CAUSE_KINDS`); docs/RESCORE.md
lists each kind's fields. Evidence, decay and rank shifts are not recorded
here: the rescore derives them from what it reads.
"""

from __future__ import annotations

from collections.abc import Iterable

from roadmap.models import PendingCause

# Every kind a snapshot's causes may hold; docs/RESCORE.md, "Causes", says what each carries.
CAUSE_KINDS = (
    "key_result",  # a key result's progress moved: via a reading, a check-in or an edit
    "objective",  # an objective's weight, status or title changed, or it was removed
    "alignment",  # the initiative was aligned to a key result, or its contribution changed
    "evidence",  # new evidence folded in (derived by the rescore from PendingEvidence)
    "edit",  # a scored field of the initiative changed, by someone
    "policy",  # the scoring policy changed (every initiative)
    "decay",  # a full run, nothing else recorded: evidence aged
    "rank_shift",  # the score stood, others passed it (or it passed others)
    "more",  # {"kind": "more", "count": N}: causes left off (MAX_CAUSES)
)
RECORDED_KINDS = frozenset(CAUSE_KINDS) - {"evidence", "decay", "rank_shift", "more"}
MAX_TEXT = 120  # characters of a title or a value kept in a cause
MAX_KEYS = 16  # fields of one cause


def bounded(payload: dict) -> dict:
    """`payload` kept small: strings cut to MAX_TEXT, at most MAX_KEYS fields, lists of 10."""
    kept = {}
    for key, value in list(payload.items())[:MAX_KEYS]:
        if isinstance(value, str) and len(value) > MAX_TEXT:
            value = value[: MAX_TEXT - 1] + "…"
        elif isinstance(value, list):
            value = value[:10]
        elif isinstance(value, dict):
            value = dict(list(value.items())[:10])
        kept[str(key)] = value
    return kept


def record_causes(initiative_ids: Iterable[int] | None, cause: dict) -> None:
    """Record `cause` for the next rescore of these initiatives (None: of every initiative).

    Call it in the transaction that marks them (`initiatives_mark`): the cause
    commits with the mark or not at all. `cause` is a JSON object whose `kind`
    is one of `RECORDED_KINDS`, e.g. `{"kind": "policy", "field": "framework",
    "from": "rice", "to": "ice", "by": "priya"}`; it is kept as given, bounded
    (`bounded`). A ValueError for an unknown kind, before anything is written.
    """
    kind = cause.get("kind") if isinstance(cause, dict) else None
    if kind not in RECORDED_KINDS:
        raise ValueError(f"Unknown cause kind {kind!r}: one of {', '.join(sorted(RECORDED_KINDS))}")
    payload = bounded(cause)
    if initiative_ids is None:
        PendingCause.objects.create(initiative=None, payload=payload)
        return
    PendingCause.objects.bulk_create(
        PendingCause(initiative_id=iid, payload=payload) for iid in sorted(set(initiative_ids))
    )


def record_cause_rows(rows: Iterable[tuple[int, dict]]) -> None:
    """Several causes at once, each for one initiative: (initiative id, cause)."""
    pending = []
    for iid, cause in rows:
        if cause.get("kind") not in RECORDED_KINDS:
            raise ValueError(f"Unknown cause kind {cause.get('kind')!r}")
        pending.append(PendingCause(initiative_id=iid, payload=bounded(cause)))
    PendingCause.objects.bulk_create(pending)


def actor_name(actor) -> str | None:
    """How a cause names the person who made a change (their username), or None."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    return actor.get_username()
