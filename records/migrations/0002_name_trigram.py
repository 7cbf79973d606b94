"""A trigram index on record names, so that `name__contains`/`name__icontains` (LIKE/ILIKE
on PostgreSQL, records.lookups) use an index instead of reading every record of the object.
PostgreSQL only; SQLite runs the same filters unindexed."""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS record_name_trgm ON records_record USING gin (name gin_trgm_ops)",
]
DROP = ["DROP INDEX IF EXISTS record_name_trgm"]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("records", "0001_initial")]

    operations = [migrations.RunPython(run(CREATE), run(DROP))]
