"""The activity feed: every audited change, newest first, filtered and keyset-paged.

The audit table grows with every edit (and every evidence relink), so a page
never counts it: it reads one page plus one row past the end (is there an
older page?) through an index that matches the filter (audit_time,
audit_kind_time, audit_actor_time), and moves on with a cursor, the
(created_at, id) of its last row. Page 1 and page 10,000 cost the same, and so
does the number of queries: the entries, one per related model named in the
page's changes (history_rows), one per kind of object on the page to link only
to objects that still exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.urls import NoReverseMatch, reverse

from .models import AuditEntry
from .selectors import HistoryRow, history_rows

PAGE_SIZE = 50

# Kinds of object the filter offers, as app_label.model: what the services audit.
KINDS = (
    ("okrs.objective", "Objectives"),
    ("okrs.keyresult", "Key results"),
    ("okrs.checkin", "Check-ins"),
    ("okrs.metric", "Metrics"),
    ("roadmap.initiative", "Initiatives"),
    ("roadmap.alignment", "Alignments"),
    ("roadmap.evidence", "Evidence"),
    ("roadmap.segment", "Segments"),
    ("roadmap.customer", "Customers"),
    ("roadmap.scoringsettings", "Scoring policy"),
    ("roadmap.teamcapacity", "Team capacity"),
)


@dataclass(frozen=True)
class Filters:
    kind: ContentType | None = None
    actor_id: int | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive


@dataclass(frozen=True)
class ActivityRow:
    history: HistoryRow
    kind: str
    object_repr: str
    url: str | None  # None when the object (or what it belongs to) is gone


def kind_choices() -> list[tuple[str, str]]:
    return list(KINDS)


def kind_for(label: str) -> ContentType | None:
    app_label, _, model = label.partition(".")
    try:
        return ContentType.objects.get_by_natural_key(app_label, model)
    except ContentType.DoesNotExist:
        return None


def encode_cursor(entry: AuditEntry | None) -> str:
    if entry is None:
        return ""
    return f"{entry.created_at.astimezone(UTC):%Y-%m-%dT%H:%M:%S.%f}Z_{entry.pk}"


def decode_cursor(raw: str) -> tuple[datetime, int] | None:
    """The cursor encode_cursor wrote; None for anything else (the first page)."""
    at, _, pk = (raw or "").rpartition("_")
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        return None
    if not pk.isdigit() or moment.tzinfo is None:
        return None
    return moment, int(pk)


def activity_page(
    *, filters: Filters, before: tuple[datetime, int] | None = None, size: int = PAGE_SIZE
) -> tuple[list[AuditEntry], AuditEntry | None]:
    """One page of entries, newest first, and the last of them when an older page exists."""
    qs = AuditEntry.objects.select_related("actor", "content_type").order_by("-created_at", "-id")
    if filters.kind is not None:
        qs = qs.filter(content_type=filters.kind)
    if filters.actor_id is not None:
        qs = qs.filter(actor_id=filters.actor_id)
    if filters.since is not None:
        qs = qs.filter(created_at__gte=filters.since)
    if filters.until is not None:
        qs = qs.filter(created_at__lt=filters.until)
    if before is not None:
        at, pk = before
        # The plain bound lets the index range-scan; the OR only breaks ties.
        qs = qs.filter(created_at__lte=at).filter(
            Q(created_at__lt=at) | Q(created_at=at, id__lt=pk)
        )
    entries = list(qs[: size + 1])
    more = len(entries) > size
    entries = entries[:size]
    return entries, (entries[-1] if more and entries else None)


def _related_id(entry: AuditEntry, label: str) -> int | None:
    """The id in `related_to` when it names an object of `label` ("roadmap.initiative:7")."""
    prefix = f"{label}:"
    if entry.related_to.startswith(prefix) and entry.related_to[len(prefix) :].isdigit():
        return int(entry.related_to[len(prefix) :])
    return None


def _target(entry: AuditEntry) -> tuple[str, int | None, str | None]:
    """(model label, id, url) of the page that shows this entry's object."""
    ct = entry.content_type
    label = f"{ct.app_label}.{ct.model}"
    pk = entry.object_id
    try:
        if label == "okrs.objective":
            return label, pk, reverse("okrs:objective", args=[pk])
        if label == "okrs.keyresult":
            return label, pk, reverse("okrs:key-result", args=[pk])
        if label == "okrs.checkin":
            kr = entry.changes.get("key_result")
            kr_id = kr[1] if isinstance(kr, list) else kr
            if isinstance(kr_id, int):
                return "okrs.keyresult", kr_id, reverse("okrs:key-result", args=[kr_id])
            return label, pk, None
        if label == "okrs.metric":
            return label, pk, reverse("okrs:metric", args=[entry.object_repr])
        if label == "roadmap.initiative":
            return label, pk, reverse("roadmap:initiative", args=[pk])
        if label in ("roadmap.alignment", "roadmap.evidence"):
            initiative = _related_id(entry, "roadmap.initiative")
            if initiative is not None:
                return (
                    "roadmap.initiative",
                    initiative,
                    reverse("roadmap:initiative", args=[initiative]),
                )
            if label == "roadmap.evidence":
                return label, pk, reverse("roadmap:inbox")
            return label, pk, None
        if label == "roadmap.segment":
            return label, pk, reverse("roadmap:segment", args=[pk])
        if label == "roadmap.customer":
            return label, pk, reverse("roadmap:customer", args=[pk])
        if label == "roadmap.scoringsettings":
            return label, None, reverse("roadmap:scoring-settings")
        if label == "roadmap.teamcapacity":
            return label, None, reverse("roadmap:capacity")
    except NoReverseMatch:
        return label, pk, None
    return label, pk, None


def _existing(targets: list[tuple[str, int | None, str | None]]) -> set[tuple[str, int]]:
    """Which targets still exist: one query per kind of object on the page."""
    wanted: dict[str, set[int]] = {}
    for label, pk, url in targets:
        if url is not None and pk is not None:
            wanted.setdefault(label, set()).add(pk)
    found = set()
    for label, ids in wanted.items():
        app_label, _, model = label.partition(".")
        model_class = ContentType.objects.get_by_natural_key(app_label, model).model_class()
        if model_class is None:
            continue
        for pk in model_class._default_manager.filter(pk__in=ids).values_list("pk", flat=True):
            found.add((label, pk))
    return found


def activity_rows(entries: list[AuditEntry]) -> list[ActivityRow]:
    """Entries as rows a person reads, each linking to its object's page while it exists."""
    targets = [_target(entry) for entry in entries]
    existing = _existing(targets)
    rows = []
    for entry, history, (label, pk, url) in zip(
        entries, history_rows(entries), targets, strict=True
    ):
        if pk is not None and (label, pk) not in existing:
            url = None
        model = entry.content_type.model_class()
        kind = str(model._meta.verbose_name).capitalize() if model else entry.content_type.model
        rows.append(ActivityRow(history=history, kind=kind, object_repr=entry.object_repr, url=url))
    return rows
