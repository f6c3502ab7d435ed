"""The evidence inbox's reads: the triage list in its four states, and its search.

The search covers an item's text, its customer's name and its segment's name.
On PostgreSQL the text is matched by full-text search through one of two
indexes (docs/PERFORMANCE.md, "The inbox and its search"): the partial GIN
index `evidence_text_search` over unlinked items serves the states "inbox"
and "dismissed"; the search documents (roadmap.models.evidence_search) serve
"linked" and "all", with the items past their mark read directly. SQLite
matches substrings.
"""

from __future__ import annotations

from datetime import timedelta
from typing import NamedTuple

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection, transaction
from django.db.models import DateTimeField, ExpressionWrapper, F, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from roadmap.models import Customer, Evidence, EvidenceDocument, EvidenceDocumentMark, Segment
from roadmap.permissions import can_view


def inbox_list(*, viewer, filters: dict | None = None) -> QuerySet[Evidence]:
    """The triage inbox, newest first.

    filters: state ("inbox": unlinked and not dismissed, the default; "linked";
    "dismissed"; "all"), source, importance, segment (id), customer (id),
    received_after / received_before (dates, inclusive), q (text search over the
    item's text, its customer's name and its segment's name: PostgreSQL
    full-text search on the text there, a substring match elsewhere).

    On PostgreSQL a search of the states "linked" and "all" first asks which
    items match, up to INBOX_FEW (one query): as many or fewer, the queryset
    is those ids; more, it filters the items read newest first.
    """
    filters = filters or {}
    qs = _filtered(viewer, filters)
    if filters.get("q"):
        qs = _evidence_text_match(qs, filters["q"], documented=_documented(filters))
    return qs.order_by("-received_at", "-id")


class InboxMatches(NamedTuple):
    items: QuerySet[Evidence]  # as `inbox_list` gives them
    count: int  # how many, counted up to the cap + 1


def inbox_matches(*, viewer, filters: dict | None = None, cap: int) -> InboxMatches:
    """`inbox_list`'s items and how many they are, up to `cap` + 1 (more: `cap` + 1).

    A search on PostgreSQL first takes the ids of its matches, up to `cap` + 1,
    as the union of its parts, each through its own index (the text's, the
    customers' items'): as many or fewer, the items are those ids; more, the
    items are filtered on the newest-first walk, which stops at a page. A
    count that filtered rows one by one computed each item's tsvector until it
    met `cap` + 1 matches: for a segment's name, one item in twenty, ~200,000
    of them (0.25-0.7 s).
    """
    filters = filters or {}
    term = filters.get("q")
    if not term or connection.vendor != "postgresql":
        items = inbox_list(viewer=viewer, filters=filters)
        return InboxMatches(items, items.order_by()[: cap + 1].count())
    qs = _filtered(viewer, filters)
    query, by_name = _search_terms(term)
    ids = _matching_ids(qs, query, by_name, cap + 1, documented=_documented(filters))
    items = _narrowed(qs, query, by_name, ids, cap)
    return InboxMatches(items.order_by("-received_at", "-id"), len(ids))


def _documented(filters: dict) -> bool:
    """Whether the state searched holds linked items (their search documents serve it)."""
    return (filters.get("state") or "inbox") in ("linked", "all")


def _filtered(viewer, filters: dict) -> QuerySet[Evidence]:
    """`inbox_list` without its search and its order."""
    if not can_view(viewer):
        return Evidence.objects.none()
    qs = Evidence.objects.select_related("customer__segment", "initiative")
    state = filters.get("state") or "inbox"
    if state == "inbox":
        qs = qs.filter(initiative__isnull=True, dismissed_reason="")
    elif state == "linked":
        qs = qs.filter(initiative__isnull=False)
    elif state == "dismissed":
        # Dismissed items are unlinked (a constraint); saying so lets the search use
        # its partial index (evidence_text_search covers unlinked items).
        qs = qs.filter(initiative__isnull=True).exclude(dismissed_reason="")
    for name in ("source", "importance"):
        if filters.get(name):
            qs = qs.filter(**{name: filters[name]})
    if filters.get("segment"):
        qs = qs.filter(customer__segment_id=filters["segment"])
    if filters.get("customer"):
        qs = qs.filter(customer_id=filters["customer"])
    if filters.get("received_after"):
        qs = qs.filter(received_at__date__gte=filters["received_after"])
    if filters.get("received_before"):
        qs = qs.filter(received_at__date__lte=filters["received_before"])
    return qs


def inbox_sorted_after_filtering(qs: QuerySet[Evidence]) -> QuerySet[Evidence]:
    """The same rows in the same order, sorted after the filters rather than read in order.

    For a filter known to match few rows (the inbox's capped count), else
    PostgreSQL may walk the newest-first index hoping to meet 20 matches soon and
    read all of it (a search term in no item: 16 s over a million). Sorting on an
    expression no index provides makes it fetch the matches, then sort them.
    """
    if connection.vendor != "postgresql":
        return qs
    shifted = ExpressionWrapper(F("received_at") + timedelta(0), output_field=DateTimeField())
    return qs.order_by(shifted.desc(), F("id").desc())


# A name search narrows the evidence by customer id. Up to this many ids go into
# the query as a list, so that PostgreSQL can OR an index scan on customer_id with
# the text index; a term matching more customers than this (a segment's name, a
# common word) goes in as a subquery, filtered row by row on the newest-first walk.
NAME_MATCH_IDS = 5000


# A search of linked items (states "linked", "all") that matches this many or fewer
# is answered from their ids (the inbox page's count cap: it sorts so few).
INBOX_FEW = 10_000


def _evidence_text_match(
    qs: QuerySet[Evidence], term: str, *, documented: bool = False
) -> QuerySet[Evidence]:
    if connection.vendor != "postgresql":
        names = Q(customer__name__icontains=term) | Q(customer__segment__name__icontains=term)
        return qs.filter(Q(text__icontains=term) | names)
    query, by_name = _search_terms(term)
    ids = _matching_ids(qs, query, by_name, INBOX_FEW + 1) if documented else None
    return _narrowed(qs, query, by_name, ids, INBOX_FEW)


def _narrowed(
    qs: QuerySet[Evidence], query: SearchQuery, by_name: Q, ids: list[int] | None, few: int
) -> QuerySet[Evidence]:
    """`qs`'s matches: the `ids` taken of them when there are `few` or fewer, else a filter.

    The filter is on the expression of the evidence_text_search GIN index
    (migration 0028), which serves the states "inbox" and "dismissed"; read row
    by row on a newest-first walk for the others, which stops at a page as many
    items match.
    """
    if ids is not None and len(ids) <= few:
        return qs.filter(id__in=ids)
    return qs.alias(document=SearchVector("text", config="english")).filter(
        Q(document=query) | by_name
    )


def _search_terms(term: str) -> tuple[SearchQuery, Q]:
    """`term` as a full-text query, and the filter of the items of the customers it names.

    The few segments are read first, as a list: no join of every customer to its
    segment, and PostgreSQL ORs the name's trigram index (customer_name_trigrams)
    with the segment index instead of scanning every customer.
    """
    segments = list(Segment.objects.filter(name__icontains=term).values_list("id", flat=True))
    named = (
        Q(name__icontains=term) | Q(segment__in=segments) if segments else Q(name__icontains=term)
    )
    customers = Customer.objects.filter(named).order_by().values_list("id", flat=True)
    ids = list(customers[: NAME_MATCH_IDS + 1])
    by_name = Q(customer__in=customers) if len(ids) > NAME_MATCH_IDS else Q(customer__in=ids)
    return SearchQuery(term, config="english", search_type="websearch"), by_name


def _matching_ids(
    qs: QuerySet[Evidence], query: SearchQuery, by_name: Q, limit: int, *, documented: bool = True
) -> list[int]:
    """Up to `limit` ids of the items of `qs` whose text matches `query` or whose customer does.

    Parts, each through its own index and each cut at `limit` (so the union
    is exact below `limit` and at least `limit` otherwise): the customers'
    items and, `documented` (linked items), the search documents
    (roadmap.services.evidence_search) of the items up to the mark and the
    text of the few items past it; else (unlinked items) the text through the
    partial GIN index evidence_text_search.
    """
    plain = qs.select_related(None).order_by().values_list("id", flat=True)
    if documented:
        mark = Coalesce(
            Subquery(EvidenceDocumentMark.objects.filter(pk=1).values("evidence_id")[:1]), 0
        )
        in_documents = EvidenceDocument.objects.filter(document=query).values("evidence_id")
        parts = [
            plain.filter(id__in=in_documents),
            plain.alias(document=SearchVector("text", config="english"), mark=mark).filter(
                id__gt=F("mark"), document=query
            ),
        ]
    else:
        parts = [
            plain.alias(document=SearchVector("text", config="english")).filter(document=query)
        ]
    parts.append(plain.filter(by_name))
    first, *others = (part[:limit] for part in parts)
    with transaction.atomic(), connection.cursor() as cursor:
        # Each part reads an index and stops early; PostgreSQL guesses the part past
        # the mark large (it cannot know the mark) and starts parallel workers,
        # which cost more than the reads on a busy host.
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        return list(first.union(*others)[:limit])
