"""Recount `SegmentCount`: evidence per initiative and segment, as a whole, in one transaction.

Readers see the previous count until the new one commits. Four INSERT ... SELECT
statements, each a GROUP BY over the evidence or over the rows just written;
their cost grows with the evidence (a second or two at a million items on
PostgreSQL), which is why the page reads these rows instead.

Between recounts the group rows follow the initiatives: `segment_counts_regroup`
moves an initiative's pair and initiative rows from its old (status, lane, team)
group to its new one, in the transaction that changes it. It holds the recount's advisory lock
shared, so it runs before a recount starts or after it commits, never across it.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.utils import timezone

from roadmap.models import Customer, Evidence, Initiative, SegmentCount

from .sql import is_postgres

# Any constant unique to this job among the app's advisory locks.
ADVISORY_LOCK_KEY = 7_340_117
COUNT_EVERY_SECONDS = 600


def _sql() -> tuple[str, ...]:
    counts = SegmentCount._meta.db_table
    initiative = Initiative._meta.db_table
    evidence = Evidence._meta.db_table
    customer = Customer._meta.db_table
    columns = (
        f"INSERT INTO {counts}"
        " (kind, initiative_id, segment_id, items, customers, revenue, counted_at)"
    )
    # Each (initiative, customer) pair once: a customer's revenue counts once per initiative.
    pairs = f"""{columns}
        SELECT CASE WHEN p.initiative_id IS NULL THEN 'unlinked' ELSE 'pair' END,
               p.initiative_id, c.segment_id, SUM(p.items), COUNT(p.customer_id),
               COALESCE(SUM(c.annual_revenue), 0), %s
        FROM (SELECT initiative_id, customer_id, COUNT(*) AS items
              FROM {evidence} GROUP BY initiative_id, customer_id) p
        LEFT JOIN {customer} c ON c.id = p.customer_id
        GROUP BY p.initiative_id, c.segment_id
    """  # noqa: S608
    # A customer is in one segment: an initiative's segments add up without double counts.
    per_initiative = f"""{columns}
        SELECT 'initiative', initiative_id, NULL, SUM(items), SUM(customers), SUM(revenue), %s
        FROM {counts} WHERE kind = 'pair' GROUP BY initiative_id
    """  # noqa: S608
    per_segment = f"""{columns}
        SELECT 'segment', NULL, c.segment_id, SUM(p.items), COUNT(p.customer_id),
               COALESCE(SUM(c.annual_revenue), 0), %s
        FROM (SELECT customer_id, COUNT(*) AS items FROM {evidence} GROUP BY customer_id) p
        LEFT JOIN {customer} c ON c.id = p.customer_id
        GROUP BY c.segment_id
    """  # noqa: S608
    # The two kinds of group rows: pair and initiative rows added up by the
    # initiatives' status, lane and team.
    per_group = f"""INSERT INTO {counts} (kind, initiative_id, segment_id, items, customers,
            revenue, counted_at, status, lane, team, initiatives)
        SELECT CASE WHEN p.kind = 'pair' THEN 'group' ELSE 'group_all' END, NULL,
               p.segment_id, SUM(p.items), 0, 0, %s, i.status, i.lane, i.team, COUNT(*)
        FROM {counts} p JOIN {initiative} i ON i.id = p.initiative_id
        WHERE p.kind IN ('pair', 'initiative')
        GROUP BY p.kind, p.segment_id, i.status, i.lane, i.team
    """  # noqa: S608
    return pairs, per_initiative, per_segment, per_group


@transaction.atomic
def segment_counts_refresh(*, now: datetime | None = None) -> int:
    """Replace every `SegmentCount` row with a fresh count; returns the rows written."""
    now = now or timezone.now()
    with connection.cursor() as cursor:
        if is_postgres():
            # One recount at a time; a second waits and then recounts again (cheap to repeat).
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
            cursor.execute("SET LOCAL work_mem = %s", [settings.RESCORE_WORK_MEM])
        cursor.execute(f"DELETE FROM {SegmentCount._meta.db_table}")  # noqa: S608
        written = 0
        for sql in _sql():
            cursor.execute(sql, [now])
            written += cursor.rowcount
        if is_postgres():
            # Fresh statistics for the page's plans: the table was just rewritten whole
            # (without them a GROUP BY of the tab took 2.3 s instead of 0.2 s).
            cursor.execute(f"ANALYZE {SegmentCount._meta.db_table}")
    return written


Group = tuple[str, str, str]  # an initiative's (status, lane, team)


def _shift(kind: str, items: dict[int | None, int], group: Group, sign: int) -> None:
    """Add each segment's `items` (`sign` -1: take them away) and one initiative to
    the `kind` rows of `group`: one UPDATE for every segment, and one INSERT of the
    rows an addition finds missing.
    """
    if not items:
        return
    status, lane, team = group
    by_segment = Q(segment_id__in=[s for s in items if s is not None])
    if None in items:
        by_segment |= Q(segment_id__isnull=True)
    rows = SegmentCount.objects.filter(by_segment, kind=kind, status=status, lane=lane, team=team)
    missing = set()
    if sign > 0:
        missing = set(items).difference(rows.values_list("segment_id", flat=True))
    change = Case(
        *(
            When(segment_id__isnull=True, then=Value(sign * n))
            if s is None
            else When(segment_id=s, then=Value(sign * n))
            for s, n in items.items()
        ),
        default=Value(0),
        output_field=IntegerField(),
    )
    rows.update(items=F("items") + change, initiatives=F("initiatives") + sign)
    counted_at = segment_counts_counted_at() if missing else None
    if counted_at is None:
        return
    SegmentCount.objects.bulk_create(
        SegmentCount(
            kind=kind,
            segment_id=segment_id,
            status=status,
            lane=lane,
            team=team,
            items=items[segment_id],
            initiatives=1,
            customers=0,
            revenue=0,
            counted_at=counted_at,
        )
        for segment_id in sorted(missing, key=lambda s: (s is not None, s or 0))
        if items[segment_id] > 0
    )


def segment_counts_regroup(*, initiative_id: int, was: Group, now: Group | None) -> None:
    """Move one initiative's counted evidence from group `was` to group `now`
    (None: the initiative is being deleted, its pair rows go with it). Call it in
    the transaction that changes the initiative, whenever its status, lane or team
    changes: the group rows then stay equal to the pair rows grouped by the
    initiatives as they are.
    """
    if was == now:
        return
    if is_postgres():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [ADVISORY_LOCK_KEY])
    # Its pair rows into `group` rows, its initiative row into a `group_all` row.
    grouped_as = {
        SegmentCount.Kind.PAIR: SegmentCount.Kind.GROUP,
        SegmentCount.Kind.INITIATIVE: SegmentCount.Kind.INITIATIVES,
    }
    items: dict[str, dict[int | None, int]] = {kind: {} for kind in grouped_as.values()}
    rows = SegmentCount.objects.filter(
        kind__in=list(grouped_as), initiative_id=initiative_id
    ).values_list("kind", "segment_id", "items")
    for kind, segment_id, n in rows:
        items[grouped_as[kind]][segment_id] = n
    # Four UPDATEs at most, whatever the number of segments.
    for kind, by_segment in items.items():
        _shift(kind, by_segment, was, -1)
        if now is not None:
            _shift(kind, by_segment, now, 1)


def segment_counts_counted_at() -> datetime | None:
    """When the rows were counted; None if never (or no evidence at all)."""
    return SegmentCount.objects.order_by().values_list("counted_at", flat=True).first()
