"""Create and drop the bench database (on the server named by BENCH_DATABASE_URL)."""

from __future__ import annotations

import os
from urllib.parse import urlparse

import psycopg

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/priority_bench"


def url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)


def _admin_url_and_name() -> tuple[str, str]:
    parsed = urlparse(url())
    name = parsed.path.lstrip("/")
    return parsed._replace(path="/postgres").geturl(), name


def recreate() -> None:
    admin, name = _admin_url_and_name()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop() -> None:
    admin, name = _admin_url_and_name()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
