"""PostgreSQL indexes for the filters and sorts the API offers on custom fields.

Field values live in one JSONB column, so each sortable field gets two partial expression
indexes over its object's records, ascending and descending with empty values last: the same
expressions the query builder emits (records.filters, records.ordering), serving equality,
ranges and sorts. They are built CONCURRENTLY by a background task after the field's
transaction commits, so adding a field never blocks writes to the records table. SQLite gets
none; the same queries run there unindexed.
"""

from django.db import connection

from records.field_types import FIELD_TYPES
from records.models import Field, Record

UNINDEXED_TYPES = {"json", "multi_select", "long_text"}


def index_names(field: Field) -> list[str]:
    return [f"rec_f_{field.key}_asc", f"rec_f_{field.key}_desc"]


def wants_indexes(field: Field) -> bool:
    many = field.type == "relationship" and field.options.get("many")
    return field.type not in UNINDEXED_TYPES and not many


def _expression(field: Field) -> str:
    text = f"(\"values\" ->> '{field.key}')"  # the key is our own hex id, never user input
    if FIELD_TYPES[field.type].sort_as == "number":
        return f"({text}::double precision)"
    return text


def create_field_indexes(field: Field) -> None:
    """Builds the field's indexes; must run outside a transaction (CONCURRENTLY)."""
    if connection.vendor != "postgresql" or not wants_indexes(field):
        return
    table = Record._meta.db_table
    expression = _expression(field)
    ascending, descending = index_names(field)
    where = f"WHERE object_id = '{field.object_id}'::uuid"
    with connection.cursor() as cursor:
        cursor.execute(
            f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{ascending}" ON "{table}" '
            f"({expression} ASC NULLS LAST, id ASC) {where}"
        )
        cursor.execute(
            f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{descending}" ON "{table}" '
            f"({expression} DESC NULLS LAST, id DESC) {where}"
        )


def drop_indexes(names: list[str]) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"')
