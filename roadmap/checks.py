"""System checks of the database a deployment runs on (`manage.py check --database default`,
and every `migrate`).

Autovacuum off: the rescore worker vacuums the initiative and pending-evidence
tables itself (roadmap.services.vacuum), but not the evidence table, a million
rows written mostly by inserts. Without autovacuum its visibility map stays
unset after each ingest, and every index-only scan of it (the weekly rescore's
aggregate, the revenue and half-life previews, the inbox's counts) reads the
heap as well: ~1.7x slower on the bench's data set (docs/PERFORMANCE.md,
"Vacuum matters on this host").
"""

from __future__ import annotations

from django.core.checks import Tags, Warning, register
from django.db import connections


def autovacuum_setting(alias: str) -> str | None:
    """PostgreSQL's `autovacuum` setting on the database `alias` ("on"/"off"); None elsewhere."""
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('autovacuum')")
        return cursor.fetchone()[0]


@register(Tags.database)
def autovacuum_is_on(app_configs, databases=None, **kwargs) -> list[Warning]:
    return [
        Warning(
            f"PostgreSQL's autovacuum is off on the database {alias!r}.",
            hint=(
                "Turn it on (autovacuum = on in postgresql.conf, the default): without it the"
                " evidence table's visibility map is never set after ingest, and the weekly"
                " rescore, the revenue and half-life previews and the inbox's counts read"
                " every row's page as well (about 1.7x slower at a million items)."
            ),
            id="roadmap.W001",
        )
        for alias in databases or ()
        if autovacuum_setting(alias) == "off"
    ]
