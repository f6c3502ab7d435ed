"""Export the whole workspace to one JSON file: `python manage.py export_workspace out.json`.

Every row of every workspace model, with its id, in Django's serialization
format (the file also loads with `loaddata`). Foreign keys to content types
and permissions are written as natural keys, because `migrate` on another
database gives those rows other ids.

Secrets are left out unless asked for: users get an unusable password, API
tokens are not written, and webhook subscriptions lose their signing secret
and are written inactive (so nothing is sent unsigned after an import).
`--with-secrets` keeps password hashes, tokens and signing secrets, so
accounts and integrations work after a move unchanged; the file is then a
secret, and the command says so (see docs/SECURITY.md, threat 15). The file
is created readable by its owner only, either way.

Not exported: sessions (everyone logs in again), login-lockout records
(django-axes), content types and permissions (created by `migrate`).
"""

from __future__ import annotations

import datetime
import os
import sys
from itertools import chain

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.core import serializers
from django.core.management.base import BaseCommand
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction

# Apps whose rows make up a workspace, and models in them that are rebuilt by migrate.
WORKSPACE_APPS = (
    "auth",
    "authtoken",
    "admin",
    "okrs",
    "roadmap",
    "audit",
    "saved_views",
    "apikeys",
)
# Rebuilt by migrate or by a periodic task, or a short-lived cache (answers replayed
# to a retried POST for 24 hours): not part of what a workspace is. The search
# documents are forgotten by an import and written again by their sweep.
REBUILT_BY_MIGRATE = {
    "auth.permission",
    "apikeys.idempotencyrecord",
    "roadmap.segmentcount",
    "roadmap.evidencedocument",
    "roadmap.evidencedocumentmark",
}
# Models whose rows are nothing but a secret (a token's primary key is the token; an
# API key row is the hash that lets its holder in).
SECRET_MODELS = {"authtoken.token", "apikeys.apikey"}
SECRETS_WARNING = (
    "WARNING: {path} holds password hashes, API tokens and webhook signing secrets. "
    "Anyone who reads it can log in as any user and call the API as any integration: "
    "keep it encrypted, never attach it to a ticket, delete it after the import."
)


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


def _without_secrets(obj):
    """The row as an export without secrets writes it (the instance is not saved)."""
    label = obj._meta.label_lower
    if label == "auth.user":
        obj.password = make_password(None)  # unusable: the user sets a new one
    elif label == "roadmap.webhooksubscription":
        obj.secret = ""
        obj.active = False  # never deliver unsigned; product sets a new secret
    return obj


def serialize_workspace(
    stream, *, indent: int | None = None, with_secrets: bool = False
) -> dict[str, int]:
    """Write the workspace as JSON to `stream`; returns the row count per model written."""
    counts = {}
    querysets = []
    for model in workspace_models():
        if not with_secrets and model._meta.label_lower in SECRET_MODELS:
            continue
        queryset = model._base_manager.order_by(model._meta.pk.name)
        counts[model._meta.label] = queryset.count()
        rows = queryset.iterator(chunk_size=2000)
        querysets.append(rows if with_secrets else map(_without_secrets, rows))
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


def _open_private(path: str):
    """Open `path` for writing, readable by its owner only (also when it existed)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    return os.fdopen(descriptor, "w", encoding="utf-8")


class Command(BaseCommand):
    help = (
        "Export every workspace row (users, OKRs, roadmap, evidence, webhooks, audit) to JSON; "
        "secrets are left out unless --with-secrets."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="File to write, or - for standard output")
        parser.add_argument("--indent", type=int, default=None, help="Pretty-print the JSON")
        parser.add_argument(
            "--with-secrets",
            action="store_true",
            help="Also write password hashes, API tokens and webhook signing secrets "
            "(the file is then a secret)",
        )

    def handle(self, *args, path, indent, with_secrets, **options):
        out = self.stderr if path == "-" else self.stdout
        if with_secrets:
            # Before a byte is written, and on stderr, where a redirect does not hide it.
            self.stderr.write(self.style.WARNING(SECRETS_WARNING.format(path=path)))
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # One snapshot for every table: no half-done write shows in the file.
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            if path == "-":
                counts = serialize_workspace(sys.stdout, indent=indent, with_secrets=with_secrets)
            else:
                with _open_private(path) as stream:
                    counts = serialize_workspace(stream, indent=indent, with_secrets=with_secrets)
        total = sum(counts.values())
        for label, count in counts.items():
            out.write(f"  {label}: {count}")
        out.write(f"Exported {total} rows of {len(counts)} models to {path}.")
        if with_secrets:
            self.stderr.write(self.style.WARNING(SECRETS_WARNING.format(path=path)))
        else:
            out.write(
                "Secrets left out: users have no usable password, API tokens are not in "
                "the file, webhook subscriptions are inactive without their signing secret "
                "(--with-secrets keeps them)."
            )
