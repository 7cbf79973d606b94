"""What relationship values show of the records they link to: [id, object api_name, name],
gathered as JSON by the database, either in a record's own query (a correlated subquery over
its values: one statement for a record and its links' names) or for a page of records' ids
given as one JSON parameter (one statement whatever the number of ids, and no work per id in
Python to bind them)."""

from collections.abc import Collection, Sequence
from typing import Any
from uuid import UUID

import orjson
from django.db import connection
from django.db.models import F, Func, TextField

from api import json_text
from records.models import Object, Record

# The relationship values' ids, as uuids: a field's value is one id or a list of ids.
POSTGRESQL_IDS = (
    "SELECT jsonb_array_elements_text(CASE jsonb_typeof(link.value) WHEN 'array' "
    "THEN link.value ELSE jsonb_build_array(link.value) END)::uuid "
    "FROM (VALUES {values}) AS link(value) WHERE jsonb_typeof(link.value) IN ('string', 'array')"
)
POSTGRESQL = (
    "(SELECT json_agg(json_build_array(linked.id, linked_object.api_name, linked.name))::text "
    "FROM {records} linked JOIN {objects} linked_object ON linked_object.id = linked.object_id "
    "WHERE linked.org_id = {org} AND linked.id = ANY(ARRAY({ids})))"
)
POSTGRESQL_GIVEN_IDS = "SELECT jsonb_array_elements_text(%s::jsonb)::uuid"
# SQLite keeps uuids as 32 hex digits; json_each of a path to a single id yields that id.
SQLITE_IDS = "SELECT replace(link.value, '-', '') FROM json_each({values}, %s) AS link"
SQLITE_GIVEN_IDS = "SELECT replace(link.value, '-', '') FROM json_each(%s) AS link"
SQLITE = (
    "(SELECT json_group_array(json_array(linked.id, linked_object.api_name, linked.name)) "
    "FROM {records} linked JOIN {objects} linked_object ON linked_object.id = linked.object_id "
    "WHERE linked.org_id = {org} AND linked.id IN ({ids}))"
)


class LinkedRecords(Func):
    """JSON text of [[id, object, name], …] for the records that the values under `keys`
    (relationship fields' storage keys) link to, in this organization; NULL or [] when none."""

    output_field = TextField()

    def __init__(self, keys: Sequence[str]) -> None:
        super().__init__(F("values"), F("org_id"))
        self.keys = tuple(keys)

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        raise NotImplementedError(f"LinkedRecords is not written for {connection.vendor}.")

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any):
        values, org = self._columns(compiler)
        ids = POSTGRESQL_IDS.format(values=", ".join(f"({values} -> %s)" for _ in self.keys))
        return POSTGRESQL.format(org=org, ids=ids, **_tables(connection)), list(self.keys)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any):
        values, org = self._columns(compiler)
        ids = " UNION ALL ".join(SQLITE_IDS.format(values=values) for _ in self.keys)
        sql = SQLITE.format(org=org, ids=ids, **_tables(connection))
        return sql, [f'$."{key}"' for key in self.keys]

    def _columns(self, compiler: Any) -> tuple[str, str]:
        values_sql, values_params = compiler.compile(self.source_expressions[0])
        org_sql, org_params = compiler.compile(self.source_expressions[1])
        if values_params or org_params:
            raise ValueError("LinkedRecords reads plain columns.")
        return values_sql, org_sql


def _tables(connection: Any) -> dict[str, str]:
    quote = connection.ops.quote_name
    return {"records": quote(Record._meta.db_table), "objects": quote(Object._meta.db_table)}


def links_to(ids: Collection[str], *, org_id: UUID) -> dict[str, dict[str, str]]:
    """{id: {id, object, name}} for the records of the organization among `ids`: one query."""
    if not ids:
        return {}
    if connection.vendor == "postgresql":
        template, given = POSTGRESQL, POSTGRESQL_GIVEN_IDS
    elif connection.vendor == "sqlite":
        template, given = SQLITE, SQLITE_GIVEN_IDS
    else:
        raise NotImplementedError(f"links_to is not written for {connection.vendor}.")
    org = Record._meta.get_field("org").get_db_prep_value(org_id, connection)
    sql = "SELECT " + template.format(org="%s", ids=given, **_tables(connection))
    with connection.cursor() as cursor:
        cursor.execute(sql, [org, orjson.dumps(list(ids)).decode()])
        (text,) = cursor.fetchone()
    return read_links(text)


def read_links(text: str | None) -> dict[str, dict[str, str]]:
    """{id: {id, object, name}} from LinkedRecords' JSON (ids in either form, as the API
    shows them: hyphenated)."""
    links: dict[str, dict[str, str]] = {}
    for pk, api_name, name in json_text.loads(text) if text else ():
        key = pk if len(pk) == 36 else str(UUID(pk))
        links[key] = {"id": key, "object": api_name, "name": name}
    return links
