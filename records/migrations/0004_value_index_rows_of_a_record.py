"""The index rows of a record are computed from the record itself (PostgreSQL): a function of
one `records_record` row, `records_index_rows(r)`, which the view `records_indexed_rows` and the
statement-level triggers share, so there is still one definition of "the index rows of a
record".

The triggers used to select from the view (every record of the table) the rows of the new
records' ids. How the planner ran that depended on the table's statistics: with stale ones
(a table that grew since it was last analyzed, as during a first load) it read and hashed the
whole table for each statement, so a batch of 1,000 new records took longer with every record
already stored (300 ms at 10,000 records, 800 ms at 40,000). The triggers now read the
statement's transition table and nothing else of the records table. SQLite's row-level
triggers already work on the one new row: this migration leaves them as they are.
"""

import importlib

from django.db import migrations

VALUE_INDEX = importlib.import_module("records.migrations.0002_value_index")
SORTED_INSERTS = importlib.import_module("records.migrations.0003_value_index_sorted_inserts")
NUMBER_TYPES = VALUE_INDEX.NUMBER_TYPES
UNINDEXED_TYPES = VALUE_INDEX.UNINDEXED_TYPES
SUBSTRING_TYPES = VALUE_INDEX.SUBSTRING_TYPES
TEXT_PREFIX = VALUE_INDEX.TEXT_PREFIX
COLUMNS = VALUE_INDEX.COLUMNS
listed = VALUE_INDEX.listed
ROW_COLUMNS = ", ".join(f"x.{column.strip()}" for column in COLUMNS.split(","))
ORDER = 'ORDER BY x.field_id, x."text", x."number"'  # index order (migration 0003)

ROWS_OF_A_RECORD = f"""
CREATE FUNCTION records_index_rows(r records_record)
RETURNS TABLE (org_id uuid, field_id uuid, record_id uuid, "position" integer,
               archived boolean, "number" double precision, "text" text, words text)
LANGUAGE sql STABLE AS $$
SELECT r.org_id, f.id, r.id, (item.ordinality - 1)::integer, r.archived_at IS NOT NULL,
       CASE WHEN f.type IN ({listed(NUMBER_TYPES)}) AND jsonb_typeof(item.value) = 'number'
            THEN (item.value #>> '{{}}')::double precision END,
       CASE WHEN f.type NOT IN ({listed(NUMBER_TYPES)})
            THEN left(item.value #>> '{{}}', {TEXT_PREFIX}) END,
       CASE WHEN f.type IN ({listed(SUBSTRING_TYPES)}) THEN item.value #>> '{{}}' END
FROM records_field f
CROSS JOIN LATERAL jsonb_array_elements(
    CASE jsonb_typeof(r."values" -> f."key") WHEN 'array' THEN r."values" -> f."key"
    ELSE jsonb_build_array(r."values" -> f."key") END
) WITH ORDINALITY AS item(value, ordinality)
WHERE f.object_id = r.object_id
  AND f.type NOT IN ({listed(UNINDEXED_TYPES)})
  AND r."values" ? f."key"
  AND jsonb_typeof(item.value) <> 'null'
$$;

DROP VIEW records_indexed_rows;
CREATE VIEW records_indexed_rows AS
SELECT x.* FROM records_record r CROSS JOIN LATERAL records_index_rows(r) x;

CREATE OR REPLACE FUNCTION records_index_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO records_indexedvalue ({COLUMNS})
  SELECT {ROW_COLUMNS} FROM new_rows r CROSS JOIN LATERAL records_index_rows(r) x
  {ORDER};
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION records_index_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM records_indexedvalue WHERE record_id IN (
    {SORTED_INSERTS.CHANGED});
  INSERT INTO records_indexedvalue ({COLUMNS})
  SELECT {ROW_COLUMNS} FROM new_rows r CROSS JOIN LATERAL records_index_rows(r) x
  WHERE r.id IN ({SORTED_INSERTS.CHANGED})
  {ORDER};
  RETURN NULL;
END $$;
"""

# Back to migration 0003's triggers and 0002's view.
FROM_THE_TABLE = (
    """
DROP VIEW records_indexed_rows;
"""
    + VALUE_INDEX.POSTGRESQL_VIEW
    + ";"
    + SORTED_INSERTS.SORTED
    + """
DROP FUNCTION records_index_rows(records_record);
"""
)


def rows_of_a_record(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ROWS_OF_A_RECORD)


def rows_from_the_table(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FROM_THE_TABLE)


class Migration(migrations.Migration):
    dependencies = [("records", "0003_value_index_sorted_inserts")]

    operations = [migrations.RunPython(rows_of_a_record, rows_from_the_table)]
