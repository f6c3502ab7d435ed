"""Recount `SegmentCount`: evidence per initiative and segment, as a whole, in one transaction.

Readers see the previous count until the new one commits. Three INSERT ... SELECT
statements, each a GROUP BY over the evidence or over the rows just written;
their cost grows with the evidence (a second or two at a million items on
PostgreSQL), which is why the page reads these rows instead.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from roadmap.models import Customer, Evidence, SegmentCount

from .sql import is_postgres

# Any constant unique to this job among the app's advisory locks.
ADVISORY_LOCK_KEY = 7_340_117
COUNT_EVERY_SECONDS = 600


def _sql() -> tuple[str, str, str]:
    counts = SegmentCount._meta.db_table
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
    return pairs, per_initiative, per_segment


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


def segment_counts_counted_at() -> datetime | None:
    """When the rows were counted; None if never (or no evidence at all)."""
    return SegmentCount.objects.order_by().values_list("counted_at", flat=True).first()
