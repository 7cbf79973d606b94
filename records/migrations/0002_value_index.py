"""The value index (records.models.IndexedValue), filled by triggers on the records table,
the lists' indexes, and the folded name with its trigram index (PostgreSQL).

A view, `records_indexed_rows`, says once per database what the index rows of every record
are; the triggers insert its rows for inserted records, replace them for records whose values
changed, and delete them with their records. Then the old per-field expression indexes
(`rec_f_*`) are dropped, with any queued task that would build one. The type lists below are
the field types' `indexed_as`/`substring_indexed` at this migration (a test holds them equal).
"""

import django.db.models.deletion
import django.db.models.functions.text
from django.db import migrations, models


NUMBER_TYPES = ("number", "integer")
UNINDEXED_TYPES = ("json", "long_text")
SUBSTRING_TYPES = ("text", "email", "phone", "url")
TEXT_PREFIX = 200
COLUMNS = 'org_id, field_id, record_id, "position", archived, "number", "text", "words"'


def listed(names):
    return ", ".join(f"'{name}'" for name in names)


POSTGRESQL_VIEW = f"""
CREATE VIEW records_indexed_rows AS
SELECT r.org_id, f.id AS field_id, r.id AS record_id,
       (item.ordinality - 1)::integer AS "position", r.archived_at IS NOT NULL AS archived,
       CASE WHEN f.type IN ({listed(NUMBER_TYPES)}) AND jsonb_typeof(item.value) = 'number'
            THEN (item.value #>> '{{}}')::double precision END AS "number",
       CASE WHEN f.type NOT IN ({listed(NUMBER_TYPES)})
            THEN left(item.value #>> '{{}}', {TEXT_PREFIX}) END AS "text",
       CASE WHEN f.type IN ({listed(SUBSTRING_TYPES)}) THEN item.value #>> '{{}}' END AS "words"
FROM records_record r
JOIN records_field f ON f.object_id = r.object_id
CROSS JOIN LATERAL jsonb_array_elements(
    CASE jsonb_typeof(r."values" -> f."key") WHEN 'array' THEN r."values" -> f."key"
    ELSE jsonb_build_array(r."values" -> f."key") END
) WITH ORDINALITY AS item(value, ordinality)
WHERE f.type NOT IN ({listed(UNINDEXED_TYPES)})
  AND r."values" ? f."key"
  AND jsonb_typeof(item.value) <> 'null'
"""

# Statement-level triggers with transition tables: a batch of 1,000 records is indexed by one
# INSERT … SELECT, not 1,000. An update that leaves `values` and the archived state as they
# were (a rename, a touch) keeps its rows.
POSTGRESQL_TRIGGERS = f"""
CREATE FUNCTION records_index_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO records_indexedvalue ({COLUMNS})
  SELECT {COLUMNS} FROM records_indexed_rows
  WHERE record_id IN (SELECT id FROM new_rows);
  RETURN NULL;
END $$;

CREATE FUNCTION records_index_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM records_indexedvalue WHERE record_id IN (
    SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE n."values" IS DISTINCT FROM o."values"
       OR (n.archived_at IS NULL) <> (o.archived_at IS NULL));
  INSERT INTO records_indexedvalue ({COLUMNS})
  SELECT {COLUMNS} FROM records_indexed_rows WHERE record_id IN (
    SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE n."values" IS DISTINCT FROM o."values"
       OR (n.archived_at IS NULL) <> (o.archived_at IS NULL));
  RETURN NULL;
END $$;

CREATE FUNCTION records_index_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM records_indexedvalue WHERE record_id IN (SELECT id FROM old_rows);
  RETURN NULL;
END $$;

CREATE TRIGGER records_index_insert AFTER INSERT ON records_record
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION records_index_inserted();
CREATE TRIGGER records_index_update AFTER UPDATE ON records_record
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION records_index_updated();
CREATE TRIGGER records_index_delete AFTER DELETE ON records_record
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION records_index_deleted();

CREATE INDEX indexedvalue_words_trgm ON records_indexedvalue
  USING gin (words gin_trgm_ops) WHERE words IS NOT NULL;
CREATE INDEX record_name_trgm ON records_record USING gin (name_folded gin_trgm_ops);

-- Byte order for the indexed text (records.models.IndexedValue.text).
ALTER TABLE records_indexedvalue ALTER COLUMN "text" TYPE varchar(200) COLLATE "C";

-- Finer statistics on what substring and range filters compare, so that the planner knows a
-- selective search (few matches: fetch them and sort) from a broad one (walk an index in
-- order and stop after a page).
ALTER TABLE records_record ALTER COLUMN name_folded SET STATISTICS 1000;
ALTER TABLE records_indexedvalue ALTER COLUMN "number" SET STATISTICS 1000;
ALTER TABLE records_indexedvalue ALTER COLUMN "text" SET STATISTICS 1000;
ALTER TABLE records_indexedvalue ALTER COLUMN words SET STATISTICS 1000;
"""

# SQLite: json_each walks a list's items, or yields the one value of a scalar (key NULL).
SQLITE_VIEW = f"""
CREATE VIEW records_indexed_rows AS
SELECT r.org_id, f.id AS field_id, r.id AS record_id,
       COALESCE(item."key", 0) AS "position", r.archived_at IS NOT NULL AS archived,
       CASE WHEN f.type IN ({listed(NUMBER_TYPES)}) AND item.type IN ('integer', 'real')
            THEN CAST(item.value AS REAL) END AS "number",
       CASE WHEN f.type NOT IN ({listed(NUMBER_TYPES)})
            THEN substr(CASE item.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false'
                        ELSE CAST(item.value AS TEXT) END, 1, {TEXT_PREFIX}) END AS "text",
       CASE WHEN f.type IN ({listed(SUBSTRING_TYPES)}) THEN item.value END AS "words"
FROM records_record r
JOIN records_field f ON f.object_id = r.object_id
JOIN json_each(r."values", '$."' || f."key" || '"') AS item
WHERE f.type NOT IN ({listed(UNINDEXED_TYPES)}) AND item.type <> 'null'
"""

SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER records_index_insert AFTER INSERT ON records_record BEGIN
  INSERT INTO records_indexedvalue ({COLUMNS})
  SELECT {COLUMNS} FROM records_indexed_rows WHERE record_id = NEW.id;
END""",
    f"""CREATE TRIGGER records_index_update AFTER UPDATE OF "values", archived_at ON records_record
WHEN OLD."values" IS NOT NEW."values"
  OR (OLD.archived_at IS NULL) <> (NEW.archived_at IS NULL) BEGIN
  DELETE FROM records_indexedvalue WHERE record_id = NEW.id;
  INSERT INTO records_indexedvalue ({COLUMNS})
  SELECT {COLUMNS} FROM records_indexed_rows WHERE record_id = NEW.id;
END""",
    """CREATE TRIGGER records_index_delete AFTER DELETE ON records_record BEGIN
  DELETE FROM records_indexedvalue WHERE record_id = OLD.id;
END""",
]

BACKFILL = f"INSERT INTO records_indexedvalue ({COLUMNS}) SELECT {COLUMNS} FROM records_indexed_rows"


def install(apps, schema_editor):
    execute = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        execute(POSTGRESQL_VIEW)
        execute(POSTGRESQL_TRIGGERS)
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'records_record' "
                "AND indexname LIKE 'rec\\_f\\_%%'"
            )
            for (name,) in cursor.fetchall():
                execute(f'DROP INDEX IF EXISTS "{name}"')
    else:
        execute(SQLITE_VIEW)
        for trigger in SQLITE_TRIGGERS:
            execute(trigger)
    execute(BACKFILL)
    # Queued builds of the dropped per-field indexes: their task functions are gone.
    DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")
    DBTaskResult.objects.filter(task_path__startswith="records.tasks.").delete()


def uninstall(apps, schema_editor):
    execute = schema_editor.execute
    execute("DROP TRIGGER IF EXISTS records_index_insert" + _on(schema_editor))
    execute("DROP TRIGGER IF EXISTS records_index_update" + _on(schema_editor))
    execute("DROP TRIGGER IF EXISTS records_index_delete" + _on(schema_editor))
    execute("DROP VIEW IF EXISTS records_indexed_rows")
    if schema_editor.connection.vendor == "postgresql":
        for name in ("inserted", "updated", "deleted"):
            execute(f"DROP FUNCTION IF EXISTS records_index_{name}()")
        execute("DROP INDEX IF EXISTS record_name_trgm")
        execute("DROP INDEX IF EXISTS indexedvalue_words_trgm")


def _on(schema_editor):
    return " ON records_record" if schema_editor.connection.vendor == "postgresql" else ""


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('records', '0001_initial'),
        ('django_tasks_database', '0021_conditional_partial_index_ordering'),
    ]

    operations = [
        migrations.CreateModel(
            name='IndexedValue',
            fields=[
                ('pk', models.CompositePrimaryKey('record_id', 'field_id', 'position', blank=True, editable=False, primary_key=True, serialize=False)),
                ('position', models.PositiveIntegerField()),
                ('archived', models.BooleanField()),
                ('number', models.FloatField(null=True)),
                ('text', models.CharField(max_length=200, null=True)),
                ('words', models.TextField(null=True)),
                ('org', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='accounts.organization')),
                ('field', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='records.field')),
                ('record', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='indexed_values', to='records.record')),
            ],
        ),
        migrations.RemoveIndex(
            model_name='record',
            name='record_list',
        ),
        migrations.AddField(
            model_name='record',
            name='name_folded',
            field=models.GeneratedField(db_persist=True, expression=django.db.models.functions.text.Lower('name'), output_field=models.CharField(max_length=1000)),
        ),
        migrations.AddIndex(
            model_name='record',
            index=models.Index(condition=models.Q(('archived_at__isnull', True)), fields=['org', 'object', 'id'], name='record_live'),
        ),
        migrations.AddIndex(
            model_name='record',
            index=models.Index(fields=['org', 'object', 'id'], name='record_list'),
        ),
        migrations.AddIndex(
            model_name='record',
            index=models.Index(condition=models.Q(('archived_at__isnull', True)), fields=['org', 'object', 'name_folded'], name='record_name_folded'),
        ),
        migrations.AddIndex(
            model_name='indexedvalue',
            index=models.Index(condition=models.Q(('number__isnull', False)), fields=['field', 'number', 'archived', 'record', 'org'], name='indexedvalue_number'),
        ),
        migrations.AddIndex(
            model_name='indexedvalue',
            index=models.Index(condition=models.Q(('text__isnull', False)), fields=['field', 'text', 'archived', 'record', 'org'], name='indexedvalue_text'),
        ),
        migrations.RunPython(install, uninstall),
    ]
