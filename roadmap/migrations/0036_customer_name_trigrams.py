"""Customers found by any part of their name through an index (PostgreSQL only).

Every search of a customer name is `name__icontains` (UPPER(name) LIKE
UPPER('%term%')): the inbox's search (its customer part), the customer
pickers as one types, the customers API's `q`. Without an index each is a
scan of every customer: ~220 ms at 500,000 customers, the whole of a search
for a word in no item. A trigram GIN index on UPPER(name) answers a term of
three characters or more from the index (shorter ones still scan). Customer
names change rarely and ingest inserts few customers, so its upkeep is
small. Not in the model's Meta: Django would create it on SQLite too.
"""

from django.db import migrations

CREATE = [
    # Trusted since PostgreSQL 13: the database's owner may create it.
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS customer_name_trigrams ON roadmap_customer"
    " USING gin (UPPER(name::text) gin_trgm_ops)",
]
DROP = ["DROP INDEX IF EXISTS customer_name_trigrams"]


def _on_postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("roadmap", "0035_evidence_inbox_open")]

    operations = [
        migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP), elidable=False),
    ]
