"""Inserting many new rows at once: PostgreSQL's COPY there, `bulk_create` elsewhere.

Django's `bulk_create` on PostgreSQL sends every column as one array parameter, and with
client-side binding psycopg escapes and quotes each array in Python: for a batch of 1,000
records and their 1,000 events, about as long as the database takes to store them and fill
the value index. COPY sends the rows in its own text format, which psycopg writes in C. The
same triggers fire, the same constraints hold, and a violation is the same IntegrityError.

Each column's values are prepared as `bulk_create` would prepare them, with two shortcuts
for the columns a batch writes a thousand times: a value of the very type the column holds
(a UUID for a uuid, an aware datetime for a timestamp, …) goes to psycopg as it is, which is
what Django's preparation returns for it on PostgreSQL; and a JSON column's document is
written by orjson, several times faster than `json.dumps` and read by jsonb as the same
document (jsonb keeps neither spacing nor escapes).
"""

import json
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from django.db import connections, models, router
from django.db.models import Field, JSONField, Model
from psycopg.types.json import Jsonb

# Django's own field classes (not subclasses, which may prepare values their own way) -> the
# Python type that their preparation for PostgreSQL returns unchanged.
NATIVE_TYPES: dict[type[Field], type] = {
    models.UUIDField: UUID,
    models.CharField: str,
    models.TextField: str,
    models.BooleanField: bool,
    models.IntegerField: int,
    models.PositiveIntegerField: int,
    models.SmallIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.BigIntegerField: int,
    models.FloatField: float,
    models.DateTimeField: datetime,
}
# orjson writes these itself where json.dumps refuses them (a TypeError): passed through,
# orjson refuses them too, and json.dumps then says what it always said.
ORJSON_AS_JSON_DUMPS = (
    orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def insert_new[M: Model](objs: Sequence[M]) -> None:
    """Writes `objs`, new instances of one model whose primary keys are already set, as
    `bulk_create(objs)` would. Columns the database computes (generated ones) are not read
    back: on PostgreSQL they load on first access, like after `save()` of a changed row."""
    if not objs:
        return
    model = type(objs[0])
    using = router.db_for_write(model)
    connection = connections[using]
    if connection.vendor != "postgresql":
        model._base_manager.using(using).bulk_create(objs)
        return
    opts = model._meta
    if any(obj.pk is None for obj in objs):
        raise ValueError(f"{model.__name__}: insert_new() needs the primary keys set.")
    fields = [field for field in opts.concrete_fields if not field.generated]
    columns = [_column(field, connection) for field in fields]
    rows = []
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
        rows.append([column(obj) for column in columns])
    names = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    sql = f"COPY {connection.ops.quote_name(opts.db_table)} ({names}) FROM STDIN"
    connection.validate_no_broken_transaction()
    started = time.monotonic()
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(sql) as copy,
    ):
        for row in rows:
            copy.write_row(row)
    if connection.queries_logged:
        # One statement, as the queries a test captures should say.
        connection.queries_log.append(
            {"sql": f"{sql} -- {len(rows)} rows", "time": f"{time.monotonic() - started:.3f}"}
        )
    for obj in objs:
        obj._state.adding = False
        obj._state.db = using


def _column(field: Field, connection: Any) -> Callable[[Model], Any]:
    """How one column's value is read off an instance and prepared for COPY."""
    attname = field.attname
    if type(field).pre_save is not Field.pre_save:  # auto_now and the like set the value

        def value_of(obj: Model) -> Any:
            return field.pre_save(obj, add=True)
    else:

        def value_of(obj: Model) -> Any:
            return getattr(obj, attname)

    if type(field) is JSONField and field.encoder is None:

        def prepared_json(obj: Model) -> Any:
            value = value_of(obj)
            if value is None or not isinstance(value, (dict, list)):
                return field.get_db_prep_save(value, connection)
            return Jsonb(value, dumps=json_bytes)

        return prepared_json

    if type(field) is models.ForeignKey:
        native = NATIVE_TYPES.get(type(field.target_field))
    else:
        native = NATIVE_TYPES.get(type(field))
    if native is None:
        return lambda obj: field.get_db_prep_save(value_of(obj), connection)

    def prepared(obj: Model) -> Any:
        value = value_of(obj)
        if value is None or (type(value) is native and not _naive(value)):
            return value
        return field.get_db_prep_save(value, connection)

    return prepared


def _naive(value: Any) -> bool:
    """A naive datetime: Django makes it aware (and warns) before it is stored."""
    return type(value) is datetime and value.tzinfo is None


def json_bytes(value: Any) -> bytes | str:
    """`value` as JSON: orjson's, or json.dumps' where orjson refuses (an integer beyond 64
    bits, a key that is not a string, a type json.dumps refuses too). Two differences are
    left, for values no document written here holds: orjson writes a UUID as its text where
    json.dumps refuses it, and a NaN or an infinity as null where json.dumps writes a token
    PostgreSQL refuses (numbers are checked finite when parsed, and the json type refuses
    NaN)."""
    try:
        return orjson.dumps(value, option=ORJSON_AS_JSON_DUMPS)
    except orjson.JSONEncodeError:
        return json.dumps(value)
