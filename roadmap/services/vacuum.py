"""Keep the initiative table small: it is rewritten all day.

Every mark and every rescore writes initiative rows, so under a feedback
firehose a 10,000-row table gains a dead row version per write: ~1,000,000
in eight minutes of the bench's ingest, and every re-rank, claim and page
read then wades through them (a rescore went from 0.4 s to 8 s). Autovacuum
looks at a table once a minute at best (`autovacuum_naptime`) and may be off
altogether (it is on the CI machine), so the rescore worker vacuums this one
table itself after it has written to it, at most every RESCORE_VACUUM_SECONDS.
On a table this size that takes tens of milliseconds.

ANALYZE, which the planner's estimates need far less often, runs on its own
longer interval (RESCORE_ANALYZE_SECONDS): it samples 30,000 rows of a wide
table, ~0.2-0.4 s at 100,000 initiatives, and a worker busy with it every
10 s held up one fresh item in twenty (the freshness p95).

The pending-evidence table goes with it: every ingested item adds a row and
every run deletes them, so it is almost all dead rows (230,000 of them over
1,018 pages for 1,000 live ones in the bench, every run scanning them all)
until a VACUUM empties and truncates it.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from .sql import is_postgres

VACUUM_KEY = "roadmap:initiative-vacuum"
ANALYZE_KEY = "roadmap:initiative-analyze"


def initiatives_vacuum() -> bool:
    """VACUUM the initiative and pending-evidence tables, at most once per interval.

    The small pending-evidence table is analyzed with it, the initiative table
    at most every RESCORE_ANALYZE_SECONDS. Returns whether it ran. PostgreSQL
    only; never inside a transaction (VACUUM cannot run there: eager tasks in
    a test's transaction skip it).
    """
    if not is_postgres() or connection.in_atomic_block:
        return False
    if not cache.add(VACUUM_KEY, 1, timeout=settings.RESCORE_VACUUM_SECONDS):
        return False
    analyze = cache.add(ANALYZE_KEY, 1, timeout=settings.RESCORE_ANALYZE_SECONDS)
    with connection.cursor() as cursor:
        if analyze:
            cursor.execute("VACUUM (ANALYZE) roadmap_initiative, roadmap_pendingevidence")
        else:
            cursor.execute("VACUUM roadmap_initiative, roadmap_pendingevidence")
            cursor.execute("ANALYZE roadmap_pendingevidence")
    return True
