"""Inserting many new rows at once: PostgreSQL's COPY there, `bulk_create` elsewhere.

Django's `bulk_create` on PostgreSQL sends every column as one array parameter, and with
client-side binding psycopg escapes and quotes each array in Python: for a batch of 1,000
records and their 1,000 events, about as long as the database takes to store them and fill
the value index. COPY sends the rows in its own text format, which psycopg writes in C. The
same triggers fire, the same constraints hold, and a violation is the same IntegrityError.
"""

import time
from collections.abc import Sequence

from django.db import connections, router
from django.db.models import Model


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
    rows = []
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
        rows.append(
            [field.get_db_prep_save(field.pre_save(obj, add=True), connection) for field in fields]
        )
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    sql = f"COPY {connection.ops.quote_name(opts.db_table)} ({columns}) FROM STDIN"
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
