"""Which scope a request needs: read for safe methods, ingest for the feeds, write for the rest.

A key's scopes narrow what its account's role allows; the role's permission
classes still run after them, so a key never exceeds its account.
"""

from __future__ import annotations

from .models import Scope

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# URL names (resolver matches) whose POST is an ingest: evidence (as JSON or a CSV
# file), metric readings, check-ins.
INGEST_ROUTES = frozenset(
    {"evidence-list", "import-evidence", "metric-readings", "key-result-check-ins"}
)


def required_scope(method: str, url_name: str | None) -> Scope:
    if method in SAFE_METHODS:
        return Scope.READ
    if method == "POST" and url_name in INGEST_ROUTES:
        return Scope.INGEST
    return Scope.WRITE
