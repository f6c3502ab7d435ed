"""Roadmap reads, shared by the HTML views and the API.

Each list selector returns a queryset already limited to what the viewer may
see, with the joins its callers need; `*_get_for_user` raises Http404 for
"missing" and "not yours" alike.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.expressions import OrderBy
from django.db.models.functions import Coalesce, Lower
from django.http import Http404

from roadmap.models import (
    Alignment,
    Customer,
    Evidence,
    Initiative,
    ScoreQuarantine,
    ScoreSnapshot,
    Segment,
    WebhookDelivery,
    WebhookSubscription,
)
from roadmap.permissions import can_edit_roadmap, can_view
from roadmap.services.sql import ids_param, in_ids_sql


def _visible(qs: QuerySet, viewer) -> QuerySet:
    return qs if can_view(viewer) else qs.none()


# The priority table's sortable columns: key -> the ordering it means. A leading
# "-" on the key reverses it; every ordering ends on the id so pages are stable.
PRIORITY_SORTS = {
    "rank": (F("rank_key").asc(nulls_last=True), "-priority_score"),
    "title": (Lower("title"),),
    "reach": ("reach",),
    "impact": ("impact",),
    "confidence": ("confidence",),
    "effort": ("effort",),
    "rice": ("rice_score",),
    "alignment": ("alignment_score",),
    "priority": ("priority_score",),
    "objectives": ("objective_count",),
}


def _ordering(sort: str) -> list:
    descending = sort.startswith("-")
    terms = PRIORITY_SORTS[sort.removeprefix("-")]
    if not descending:
        return [*terms, "id"]
    flipped = []
    for term in terms:
        if isinstance(term, str):
            flipped.append(term[1:] if term.startswith("-") else f"-{term}")
        elif isinstance(term, OrderBy):
            flipped.append(
                OrderBy(term.expression, descending=not term.descending, nulls_last=True)
            )
        else:
            flipped.append(term.desc())
    return [*flipped, "-id"]


def initiative_list(
    *, viewer, filters: dict | None = None, sort: str = "rank"
) -> QuerySet[Initiative]:
    """Initiatives with owner, alignments (key result, objective) prefetched.

    filters: status, lane, team, objective (id), key_result (id), unaligned (bool),
    search (text in title). sort: a key of PRIORITY_SORTS, "-" first to reverse;
    by default ranked work first, then shipped and archived (no rank) by score.
    """
    filters = filters or {}
    qs = (
        Initiative.objects.with_ranks()
        .select_related("owner")
        .prefetch_related(
            Prefetch(
                "alignments",
                queryset=Alignment.objects.select_related("key_result__objective").order_by(
                    "key_result__objective_id", "key_result_id"
                ),
            )
        )
    )
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("lane"):
        qs = qs.filter(lane=filters["lane"])
    if filters.get("team"):
        qs = qs.filter(team=filters["team"])
    # Through a subquery, not a join: each initiative once without DISTINCT, so
    # the pages count their rows with a plain COUNT over an index.
    if filters.get("objective"):
        serves = Alignment.objects.filter(key_result__objective_id=filters["objective"])
        qs = qs.filter(pk__in=serves.values("initiative_id"))
    if filters.get("key_result"):
        serves = Alignment.objects.filter(key_result_id=filters["key_result"])
        qs = qs.filter(pk__in=serves.values("initiative_id"))
    if filters.get("unaligned") is not None and filters.get("unaligned") != "":
        aligned = Exists(Alignment.objects.filter(initiative_id=OuterRef("pk")))
        qs = (
            qs.filter(~aligned)
            if filters["unaligned"] in (True, "true", "1", 1)
            else qs.filter(aligned)
        )
    if filters.get("search"):
        qs = qs.filter(title__icontains=filters["search"])
    if sort.removeprefix("-") == "objectives":
        distinct_objectives = (
            Alignment.objects.filter(initiative_id=OuterRef("pk"))
            .order_by()
            .values("initiative_id")
            .annotate(n=Count("key_result__objective_id", distinct=True))
            .values("n")
        )
        qs = qs.annotate(objective_count=Coalesce(Subquery(distinct_objectives), 0))
    return _visible(qs.order_by(*_ordering(sort)), viewer)


def initiative_get_for_user(*, viewer, pk: int) -> Initiative:
    try:
        return initiative_list(viewer=viewer).get(pk=pk)
    except (Initiative.DoesNotExist, ValueError, TypeError):
        raise Http404("No such initiative.") from None


def quarantine_list(*, viewer, limit: int = 20) -> list[ScoreQuarantine]:
    """Initiatives the rescore could not score, newest failure first; only for editors.

    The errors are for the people who can fix the inputs; others see nothing.
    """
    if not can_edit_roadmap(viewer):
        return []
    return list(
        ScoreQuarantine.objects.select_related("initiative").only(
            "initiative__id",
            "initiative__title",
            "error",
            "attempts",
            "first_failed_at",
            "last_failed_at",
        )[:limit]
    )


def initiative_quarantine(*, viewer, initiative: Initiative) -> ScoreQuarantine | None:
    """Why this initiative's score is not current, for editors (None when it is)."""
    if not can_edit_roadmap(viewer):
        return None
    return ScoreQuarantine.objects.filter(initiative=initiative).first()


# Every team, in order, one index probe each (initiative_team_rank_key): a skip scan
# of a dozen teams instead of a DISTINCT over every initiative.
TEAMS_SQL = """
WITH RECURSIVE teams(team) AS (
    SELECT MIN(team) FROM roadmap_initiative WHERE team > ''
    UNION ALL
    SELECT (SELECT MIN(i.team) FROM roadmap_initiative i WHERE i.team > teams.team)
    FROM teams WHERE teams.team IS NOT NULL
)
SELECT team FROM teams WHERE team IS NOT NULL
"""


def initiative_teams(*, viewer) -> list[str]:
    """Every team an initiative names, in the database's order (for the filters)."""
    if not can_view(viewer):
        return []
    with connection.cursor() as cursor:
        cursor.execute(TEAMS_SQL)
        return [row[0] for row in cursor.fetchall()]


def snapshot_history(*, viewer, initiative: Initiative, limit: int = 200) -> list[ScoreSnapshot]:
    """The initiative's score history, oldest first (for charts)."""
    qs = _visible(ScoreSnapshot.objects.filter(initiative=initiative), viewer)
    return list(reversed(qs.order_by("-id")[:limit]))


def evidence_list(*, viewer, filters: dict | None = None) -> QuerySet[Evidence]:
    """Evidence newest first, with customer, segment and initiative joined.

    filters: initiative (id), unlinked (bool), source, customer (id),
    segment (id), received_after, received_before, search (text).
    """
    filters = filters or {}
    qs = Evidence.objects.select_related("customer__segment", "initiative")
    if filters.get("initiative"):
        qs = qs.filter(initiative_id=filters["initiative"])
    if filters.get("unlinked"):
        qs = qs.filter(initiative__isnull=True)
    if filters.get("source"):
        qs = qs.filter(source=filters["source"])
    if filters.get("customer"):
        qs = qs.filter(customer_id=filters["customer"])
    if filters.get("segment"):
        qs = qs.filter(customer__segment_id=filters["segment"])
    if filters.get("received_after"):
        qs = qs.filter(received_at__gte=filters["received_after"])
    if filters.get("received_before"):
        qs = qs.filter(received_at__lt=filters["received_before"])
    if filters.get("search"):
        term = filters["search"]
        qs = qs.filter(Q(text__icontains=term) | Q(customer__name__icontains=term))
    return _visible(qs.order_by("-received_at", "-id"), viewer)


def customer_list(*, viewer) -> QuerySet[Customer]:
    return _visible(
        Customer.objects.select_related("segment").annotate(evidence_total=Count("evidence")),
        viewer,
    )


def segment_list(*, viewer) -> QuerySet[Segment]:
    return _visible(Segment.objects.annotate(customer_total=Count("customers")), viewer)


def customer_directory(*, viewer, filters: dict | None = None) -> QuerySet[Customer]:
    """Customers by name for the customers page: filter by segment or text, no per-row counts.

    Meant to be paginated; the page asks `customer_evidence_counts` for the
    rows it shows rather than counting every customer's evidence.
    """
    filters = filters or {}
    qs = Customer.objects.select_related("segment").order_by("name", "id")
    if filters.get("segment"):
        qs = qs.filter(segment=filters["segment"])
    if filters.get("q"):
        qs = qs.filter(Q(name__icontains=filters["q"]) | Q(external_id__icontains=filters["q"]))
    return _visible(qs, viewer)


def customer_get_for_user(*, viewer, pk: int) -> Customer:
    try:
        return customer_directory(viewer=viewer).get(pk=pk)
    except (Customer.DoesNotExist, ValueError, TypeError):
        raise Http404("No such customer.") from None


def customer_evidence_counts(*, viewer, customer_ids) -> dict[int, int]:
    """How many evidence items each of these customers gave, in one query."""
    ids = set(customer_ids)
    if not ids or not can_view(viewer):
        return {}
    rows = (
        Evidence.objects.filter(customer_id__in=ids)
        .order_by()
        .values("customer_id")
        .annotate(total=Count("id"))
    )
    return {row["customer_id"]: row["total"] for row in rows}


def segment_get_for_user(*, viewer, pk: int) -> Segment:
    try:
        return segment_list(viewer=viewer).get(pk=pk)
    except (Segment.DoesNotExist, ValueError, TypeError):
        raise Http404("No such segment.") from None


def priority_list(*, viewer, filters: dict | None = None) -> QuerySet[Initiative]:
    """The ranked list, best first, with where each initiative was before its latest change.

    One query for the page, whatever the length: the breakdown and the previous
    rank and score are stored on the initiative by the rescore, so a page is an
    index range scan on the rank's key, and its ranks one more query
    (roadmap.models.ranks). filters: status, lane, team.
    """
    filters = filters or {}
    qs = Initiative.objects.filter(rank_key__isnull=False).defer("description").with_ranks()
    for name in ("status", "lane", "team"):
        if filters.get(name):
            qs = qs.filter(**{name: filters[name]})
    return _visible(qs.order_by("rank_key", "id"), viewer)


def webhook_subscription_list(*, viewer) -> QuerySet[WebhookSubscription]:
    """Product sees every subscription; an integration account sees its own."""
    qs = WebhookSubscription.objects.order_by("id")
    if not can_view(viewer):
        return qs.none()
    return qs if can_edit_roadmap(viewer) else qs.filter(created_by=viewer)


def webhook_delivery_list(
    *, viewer, subscription: WebhookSubscription, filters: dict | None = None
) -> QuerySet[WebhookDelivery]:
    """A subscription's deliveries, newest first. filters: status, event, created_after,
    created_before (datetimes, the first inclusive, the second exclusive)."""
    filters = filters or {}
    qs = WebhookDelivery.objects.filter(subscription=subscription)
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("event"):
        qs = qs.filter(event=filters["event"])
    if filters.get("created_after"):
        qs = qs.filter(created_at__gte=filters["created_after"])
    if filters.get("created_before"):
        qs = qs.filter(created_at__lt=filters["created_before"])
    return _visible(qs, viewer).order_by("-created_at", "-id")


def alignment_list(*, viewer, filters: dict | None = None) -> QuerySet[Alignment]:
    """Alignments with key result and objective joined. filters: initiative, key_result."""
    filters = filters or {}
    qs = Alignment.objects.select_related("key_result")
    if filters.get("initiative"):
        qs = qs.filter(initiative_id=filters["initiative"])
    if filters.get("key_result"):
        qs = qs.filter(key_result_id=filters["key_result"])
    return _visible(qs.order_by("initiative_id", "key_result_id"), viewer)


def ids_existing(model, ids) -> set[int]:
    """Which of these primary keys exist: one query, one parameter, no model instances.

    For ingest, which only stores the references: loading 500 customers and
    initiatives as objects cost ~15 % of a batch.
    """
    # A key outside the 64-bit range cannot exist (and JSON for SQLite cannot carry it).
    ids = {i for i in ids if -(2**63) <= i < 2**63}
    if not ids:
        return set()
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {table} WHERE {in_ids_sql('id')}", [ids_param(ids)])  # noqa: S608 - table name from the model
        return {row[0] for row in cursor.fetchall()}
