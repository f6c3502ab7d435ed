"""Load a file written by `export_workspace` into this database, ids and all.

    python manage.py migrate
    python manage.py import_workspace out.json            # into an empty workspace
    python manage.py import_workspace out.json --force    # replace the current one

One transaction: the import loads everything or nothing. Without --force it
refuses a database that already holds workspace rows (users, objectives,
initiatives...), so it never merges two workspaces by accident; with --force
it deletes the current workspace rows first, inside the same transaction.
Sequences are reset afterwards so new rows get fresh ids.

A file exported without secrets (the default) imports too; the command then
lists what to set again: passwords, API tokens, webhook signing secrets.
"""

from __future__ import annotations

from collections import Counter

from django.contrib.auth import get_user_model
from django.core import serializers
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import DatabaseError, IntegrityError, connection, transaction
from rest_framework.authtoken.models import Token

from roadmap.models import WebhookSubscription
from roadmap.services.evidence_search import documents_forget

from .export_workspace import workspace_models


def workspace_row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._base_manager.count()
        for model in workspace_models()
        if model._base_manager.exists()
    }


def _delete_workspace() -> None:
    # Dependants first; the collector follows whatever cascades remain.
    for model in reversed(workspace_models()):
        model._base_manager.all().delete()


def load_workspace(stream) -> Counter:
    """Save every object of the file as it is (raw: no save() logic, no auto_now)."""
    counts: Counter = Counter()
    models = set()
    waiting = []
    with connection.constraint_checks_disabled():
        for item in serializers.deserialize("json", stream, handle_forward_references=True):
            item.save()
            if item.deferred_fields:
                waiting.append(item)
            model = type(item.object)
            models.add(model)
            counts[model._meta.label] += 1
        # A natural key naming a row further down the file (none in the export's order).
        for item in waiting:
            item.save_deferred_fields()
    # SQLite checked nothing while loading; PostgreSQL checks deferred keys at commit.
    connection.check_constraints(table_names=[m._meta.db_table for m in models])
    statements = connection.ops.sequence_reset_sql(no_style(), list(models))
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
    return counts


class Command(BaseCommand):
    help = "Import a workspace exported by export_workspace (all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="File written by export_workspace")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Delete the current workspace rows first (in the same transaction)",
        )

    def handle(self, *args, path, force, **options):
        try:
            stream = open(path, encoding="utf-8")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        try:
            with transaction.atomic():
                existing = workspace_row_counts()
                if existing and not force:
                    found = ", ".join(f"{label} ({n})" for label, n in existing.items())
                    raise CommandError(
                        "This database already holds a workspace: "
                        f"{found}. Import into an empty database, or pass --force to "
                        "replace it."
                    )
                if existing:
                    _delete_workspace()
                counts = load_workspace(stream)
                # The search documents are of the items that were here before.
                documents_forget()
        except serializers.base.DeserializationError as exc:
            raise CommandError(f"{path} is not a workspace export: {exc}") from exc
        except (IntegrityError, DatabaseError) as exc:
            raise CommandError(f"Nothing imported: {exc}") from exc
        finally:
            stream.close()
        for label, count in sorted(counts.items()):
            self.stdout.write(f"  {label}: {count}")
        self.stdout.write(f"Imported {sum(counts.values())} rows of {len(counts)} models.")
        for line in _secrets_to_restore():
            self.stdout.write(self.style.WARNING(line))


def _secrets_to_restore() -> list[str]:
    """What an export without secrets left for the operator to set again."""
    lines = []
    users = sorted(
        user.username
        for user in get_user_model().objects.only("username", "password")
        if not user.has_usable_password()
    )
    if users:
        names = ", ".join(users[:10]) + (", ..." if len(users) > 10 else "")
        lines.append(
            f"{len(users)} users have no usable password ({names}): set one with "
            "`manage.py changepassword <username>` or a password reset."
        )
    if not Token.objects.exists():
        lines.append(
            "No API tokens were imported: give each integration a new one with "
            "`manage.py drf_create_token <username>`."
        )
    unsigned = WebhookSubscription.objects.filter(secret="").count()
    if unsigned:
        lines.append(
            f"{unsigned} webhook subscriptions have no signing secret and are inactive: "
            "set a new secret (and active) on each, and share it with its receiver."
        )
    return lines
