"""Why a priority moved: causes recorded with the marks, listed on the snapshots.

A writer that marks initiatives for a rescore records why, in the same
transaction (`record_causes`): a `PendingCause` row per initiative, or one
row for every initiative (`initiative_ids=None`, e.g. a scoring policy
change). The rescore claims them with the marks, lists them on the
snapshots it writes and deletes them in its own transaction
(roadmap/services/rescore/causes.py), so a run that dies leaves them for
the next one, as it leaves the marks.

A cause is a small JSON object with a `kind` (`CAUSE_KINDS`); docs/RESCORE.md
lists each kind's fields. New evidence, decay and rank shifts are not
recorded here: the rescore derives them from what it reads. Key-result and
objective causes are read here (`key_result_causes`) when okrs announces
that key results moved.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal

from okrs.models import CheckIn, KeyResult, MetricReading, Objective
from roadmap.models import Alignment, Initiative, PendingCause

# Every kind a snapshot's causes may hold; docs/RESCORE.md, "Causes", says what each carries.
CAUSE_KINDS = (
    "key_result",  # a key result's progress moved: via a reading, a check-in or an edit
    "objective",  # an objective's weight, status or title changed, or it was removed
    "alignment",  # the initiative was aligned to a key result, or its contribution changed
    "evidence",  # new evidence (derived by the rescore), or removed, moved, reweighed
    "edit",  # a scored field of the initiative changed, by someone
    "policy",  # the scoring policy changed (every initiative)
    "decay",  # a full run, nothing else recorded: evidence aged
    "rank_shift",  # the score stood, others passed it (or it passed others)
    "more",  # {"kind": "more", "count": N}: causes left off (MAX_CAUSES)
)
RECORDED_KINDS = frozenset(CAUSE_KINDS) - {"decay", "rank_shift", "more"}
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


def cause_value(value):
    """A field's value as a cause holds it: a JSON number, string, boolean or null."""
    if value is None or isinstance(value, bool | int | str):
        return str(value) if isinstance(value, str) else value
    if isinstance(value, float | Decimal):
        return round(float(value), 4)
    return str(getattr(value, "pk", value))


def actor_name(actor) -> str | None:
    """How a cause names the person who made a change (their username), or None."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    return actor.get_username()


def _kr_terms(breakdown) -> dict[int, dict]:
    """The alignment terms of a stored breakdown, by key result: what it was last scored with."""
    if isinstance(breakdown, str):
        breakdown = json.loads(breakdown)
    terms = ((breakdown or {}).get("alignment") or {}).get("terms") or []
    return {t.get("key_result_id"): t for t in terms if isinstance(t, dict)}


def _via(kr: KeyResult, trigger: str, readings: dict, check_ins: dict) -> dict:
    """How a key result's value came: the newest reading of its metric or its newest check-in."""
    if trigger != "metric":
        return {"via": "edit"}
    reading, check_in = readings.get(kr.metric_id), check_ins.get(kr.pk)
    if check_in is not None and (reading is None or check_in.checked_at >= reading.observed_at):
        return {
            "via": "check_in",
            "check_in": check_in.pk,
            "by": check_in.author.get_username() if check_in.author else None,
        }
    if reading is not None:
        return {"via": "reading", "reading": reading.pk, "source": reading.source}
    return {"via": "reading"}


def key_result_causes(key_result_ids: list[int], trigger: str) -> list[tuple[int, dict]]:
    """Why the initiatives aligned to these key results are rescored: (initiative id, cause).

    okrs announces only which key results moved (it never imports roadmap),
    so the cause is read here, in the announcing transaction, from what
    changed since each initiative was last scored: its breakdown holds each
    key result's progress, title and objective weight as scored then. A
    moved progress is a `key_result` cause (via the metric's newest reading
    or the key result's newest check-in, or an edit), a moved objective
    weight, title or status an `objective` cause; nothing visible moved
    (a deletion, a key result's own weight), a `key_result` cause without
    from/to.
    """
    aligned = list(
        Alignment.objects.filter(key_result_id__in=key_result_ids).values_list(
            "initiative_id", "key_result_id"
        )
    )
    if not aligned:
        return []
    key_results = {
        kr.pk: kr
        for kr in KeyResult.objects.filter(pk__in=key_result_ids).select_related("objective")
    }
    readings: dict[int, MetricReading] = {}
    check_ins: dict[int, CheckIn] = {}
    if trigger == "metric":
        # An announcement names a few key results (one metric's, one check-in's).
        for metric_id in {kr.metric_id for kr in key_results.values() if kr.metric_id}:
            newest = MetricReading.objects.filter(metric_id=metric_id)
            reading = newest.order_by("-observed_at", "-id").first()
            if reading is not None:
                readings[metric_id] = reading
        for kr_id in key_results:
            newest = CheckIn.objects.filter(key_result_id=kr_id).select_related("author")
            check_in = newest.order_by("-checked_at", "-id").first()
            if check_in is not None:
                check_ins[kr_id] = check_in
    scored = dict(
        Initiative.objects.filter(pk__in={iid for iid, _ in aligned}).values_list("id", "breakdown")
    )
    rows = []
    for iid, kr_id in aligned:
        kr = key_results.get(kr_id)
        if kr is not None:
            rows.extend(
                (iid, cause)
                for cause in _changes(kr, scored.get(iid), trigger, readings, check_ins)
            )
    return rows


def _changes(kr: KeyResult, breakdown, trigger: str, readings: dict, check_ins: dict) -> list[dict]:
    """What moved in one key result (and its objective) since an initiative's last score."""
    objective = kr.objective
    was = _kr_terms(breakdown).get(kr.pk)
    if was is not None and objective.status == "cancelled":
        return [_objective(objective, "status", "active", "cancelled")]
    causes = []
    if was is not None and was.get("objective_weight") != objective.weight:
        causes.append(
            _objective(objective, "weight", was.get("objective_weight"), objective.weight)
        )
    if was is not None and was.get("objective") != objective.title:
        causes.append(_objective(objective, "title", was.get("objective"), objective.title))
    progress = round(min(max(kr.progress, 0.0), 1.0), 4)
    cause = {"kind": "key_result", "key_result": kr.pk, "title": kr.title}
    if was is None or was.get("progress") != progress:
        cause["from_progress"] = None if was is None else was.get("progress")
        cause["to_progress"] = progress
    elif causes:
        return causes
    return [*causes, {**cause, **_via(kr, trigger, readings, check_ins)}]


def _objective(objective: Objective, field: str, before, after) -> dict:
    return {
        "kind": "objective",
        "objective": objective.pk,
        "title": objective.title,
        "field": field,
        "from": before,
        "to": after,
    }
