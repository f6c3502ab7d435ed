"""Export the whole workspace to one JSON file: `python manage.py export_workspace out.json`.

Every row of every workspace model, with its id, in Django's serialization
format (the file also loads with `loaddata`). Foreign keys to content types
and permissions are written as natural keys, because `migrate` on another
database gives those rows other ids. Users are exported with their password
hashes and API tokens, so accounts and integrations keep working after an
import: treat the file as a secret (see docs/SECURITY.md).

Not exported: sessions (everyone logs in again), login-lockout records
(django-axes), content types and permissions (created by `migrate`).
"""

from __future__ import annotations

import datetime
import sys
from itertools import chain

from django.apps import apps
from django.core import serializers
from django.core.management.base import BaseCommand
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction

# Apps whose rows make up a workspace, and models in them that are rebuilt by migrate.
WORKSPACE_APPS = ("auth", "authtoken", "admin", "okrs", "roadmap", "audit")
REBUILT_BY_MIGRATE = {"auth.permission"}


class ExactJSONEncoder(DjangoJSONEncoder):
    """Django's encoder cuts times to milliseconds; an export must keep the microseconds."""

    def default(self, o):
        if isinstance(o, datetime.datetime):
            text = o.isoformat()
            return f"{text[:-6]}Z" if text.endswith("+00:00") else text
        if isinstance(o, datetime.time):
            return o.isoformat()
        return super().default(o)


def workspace_models() -> list[type]:
    """Every concrete model of the workspace, in an order a load can follow."""
    app_list = []
    for label in WORKSPACE_APPS:
        config = apps.get_app_config(label)
        models = [
            model
            for model in config.get_models()
            if not model._meta.proxy and model._meta.label_lower not in REBUILT_BY_MIGRATE
        ]
        app_list.append((config, models))
    return serializers.sort_dependencies(app_list, allow_cycles=True)


def serialize_workspace(stream, *, indent: int | None = None) -> dict[str, int]:
    """Write the workspace as JSON to `stream`; returns the row count per model."""
    counts = {}
    querysets = []
    for model in workspace_models():
        queryset = model._base_manager.order_by(model._meta.pk.name)
        counts[model._meta.label] = queryset.count()
        querysets.append(queryset.iterator(chunk_size=2000))
    serializers.serialize(
        "json",
        chain.from_iterable(querysets),
        stream=stream,
        indent=indent,
        use_natural_foreign_keys=True,
        use_natural_primary_keys=False,
        cls=ExactJSONEncoder,
    )
    return counts


class Command(BaseCommand):
    help = "Export every workspace row (users, OKRs, roadmap, evidence, webhooks, audit) to JSON."

    def add_arguments(self, parser):
        parser.add_argument("path", help="File to write, or - for standard output")
        parser.add_argument("--indent", type=int, default=None, help="Pretty-print the JSON")

    def handle(self, *args, path, indent, **options):
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # One snapshot for every table: no half-done write shows in the file.
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            if path == "-":
                counts = serialize_workspace(sys.stdout, indent=indent)
            else:
                with open(path, "w", encoding="utf-8") as stream:
                    counts = serialize_workspace(stream, indent=indent)
        total = sum(counts.values())
        out = self.stderr if path == "-" else self.stdout
        for label, count in counts.items():
            out.write(f"  {label}: {count}")
        out.write(f"Exported {total} rows of {len(counts)} models to {path}.")
