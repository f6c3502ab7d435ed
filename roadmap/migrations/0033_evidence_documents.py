"""The inbox search's indexes: the evidence's search documents, statistics, dismissed items.

- The search documents (roadmap.models.evidence_search) and their GIN index,
  PostgreSQL only. The mark starts at 0: the sweep documents the existing
  evidence in sets, and until it has, the search reads those items' text.
- Extended statistics on the expression the inbox state's search filters on,
  PostgreSQL only. The GIN index `evidence_text_search` of 0028 is partial and
  PostgreSQL takes no statistics from a partial index: without these it
  guessed 0.5% of the inbox matched "feedback" (every item) and sorted all
  50,000 matches instead of reading the newest 20.
- `evidence_dismissed`, the dismissed items newest first (no entry for a new
  item), and `customer_by_name`, the customer pickers' first page.
"""

import django.contrib.postgres.search
from django.db import migrations, models

CREATE = [
    "CREATE INDEX IF NOT EXISTS evidence_document_search ON roadmap_evidencedocument"
    " USING gin (document)",
    "CREATE STATISTICS IF NOT EXISTS evidence_text_words"
    " ON (to_tsvector('english'::regconfig, COALESCE(text, ''::text))) FROM roadmap_evidence",
]
DROP = [
    "DROP STATISTICS IF EXISTS evidence_text_words",
    "DROP INDEX IF EXISTS evidence_document_search",
]


def _on_postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


def _mark(apps, schema_editor):
    apps.get_model("roadmap", "EvidenceDocumentMark").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("roadmap", "0032_segment_count_groups")]

    operations = [
        migrations.CreateModel(
            name="EvidenceDocument",
            fields=[
                ("evidence_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("document", django.contrib.postgres.search.SearchVectorField()),
            ],
        ),
        migrations.CreateModel(
            name="EvidenceDocumentMark",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("evidence_id", models.BigIntegerField(default=0)),
                ("swept_at", models.DateTimeField(blank=True, null=True)),
            ],
        ),
        migrations.AddIndex(
            model_name="evidence",
            index=models.Index(
                condition=models.Q(("dismissed_reason", ""), _negated=True),
                fields=["-received_at", "-id"],
                name="evidence_dismissed",
            ),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["name", "id"], name="customer_by_name"),
        ),
        migrations.RunPython(_mark, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP), elidable=False),
    ]
