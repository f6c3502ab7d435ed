"""The inbox's indexes: newest first over every item, and full-text search (PostgreSQL only).

The search's is a partial GIN index (unlinked items) on the expression the search filters on (roadmap.selectors
`_evidence_text_match`: SearchVector("text", config="english")). It is not in the
model's Meta: Django would create it on SQLite too.
"""

from django.db import migrations, models

CREATE = (
    "CREATE INDEX IF NOT EXISTS evidence_text_search ON roadmap_evidence"
    " USING gin (to_tsvector('english'::regconfig, COALESCE(text, ''::text)))"
    # Over unlinked items only (the inbox and the dismissed): a GIN entry per row
    # roughly doubled PostgreSQL's cost of inserting evidence, and most evidence
    # arrives linked. Linked items are searched by walking evidence_newest.
    " WHERE initiative_id IS NULL"
)
DROP = "DROP INDEX IF EXISTS evidence_text_search"


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("roadmap", "0027_importance_sums")]

    operations = [
        migrations.AddIndex(
            model_name="evidence",
            index=models.Index(fields=["-received_at", "-id"], name="evidence_newest"),
        ),
        migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP), elidable=False),
    ]
