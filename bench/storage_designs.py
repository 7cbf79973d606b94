"""The storage designs that bench/storage_compare.py measures (see its docstring): their
tables, indexes and triggers, and the data it loads into each."""

from __future__ import annotations

import hashlib
import os
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import psycopg

DEALS = 100_000
COMPANIES = 10_000
STAGES = ["lead", "qualified", "proposal", "negotiation", "won", "lost"]
TAGS = ["hot", "cold", "vip", "renewal", "upsell", "partner", "inbound", "outbound"]
# Tenant-scale objects cycle over these types, two fields each (20 fields per object).
TENANT_TYPES = [
    "number",
    "text",
    "date",
    "select",
    "integer",
    "datetime",
    "boolean",
    "email",
    "multi_select",
    "long_text",
]
NUMBER_TYPES = {"number", "integer"}
UNINDEXED_TYPES = {"json", "multi_select", "long_text"}
LIST_TYPES = ("multi_select", "relationship")
AMOUNT_LOW, AMOUNT_HIGH = 100_000.0, 370_000.0  # about 27% of deals have an amount in it


def uuid7(ms: int | None = None) -> uuid.UUID:
    ms = time.time_ns() // 1_000_000 if ms is None else ms
    rand = int.from_bytes(os.urandom(10))
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | ((rand >> 64) & 0xFFF) << 64
    value |= 0b10 << 62 | (rand & ((1 << 62) - 1))
    return uuid.UUID(int=value)


def key_of(name: str) -> str:
    return hashlib.md5(name.encode(), usedforsecurity=False).hexdigest()


def oid(name: str) -> uuid.UUID:
    return uuid.UUID(key_of(name))


ORG = oid("org:main")
COMPANY_OBJ = oid("object:companies")
DEAL_OBJ = oid("object:deals")
DEAL_FIELDS = {
    "amount": "number",
    "quantity": "integer",
    "close_date": "date",
    "closed_at": "datetime",
    "stage": "select",
    "tags": "multi_select",
    "notes": "text",
    "email": "email",
    "won": "boolean",
    "company": "relationship",
}
COMPANY_FIELDS = {"domain": "text", "employees": "integer"}
K = {name: key_of("deals." + name) for name in DEAL_FIELDS}
CK = {name: key_of("companies." + name) for name in COMPANY_FIELDS}


def sortable(type_: str) -> bool:
    return type_ not in UNINDEXED_TYPES


# --------------------------------------------------------------------------------------------
# Schemas


COMMON = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE FUNCTION uuid7(ts timestamptz) RETURNS uuid LANGUAGE sql VOLATILE AS $$
  SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) PLACING
    substring(int8send(floor(extract(epoch FROM ts) * 1000)::bigint) FROM 3) FROM 1 FOR 6),
    52, 1), 53, 1), 'hex')::uuid
$$;
CREATE TABLE fields (
  org_id uuid NOT NULL, object_id uuid NOT NULL, key varchar(32) NOT NULL,
  type varchar(20) NOT NULL, PRIMARY KEY (object_id, key));
"""

RECORD_COLUMNS = """
  id uuid NOT NULL, org_id uuid NOT NULL, object_id uuid NOT NULL,
  name varchar(1000) NOT NULL DEFAULT '', "values" jsonb NOT NULL DEFAULT '{}',
  archived_at timestamptz, created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(), version integer NOT NULL DEFAULT 1
"""


def fixed_indexes(table: str, prefix: str) -> list[str]:
    return [
        f"CREATE INDEX {prefix}_list ON {table} (org_id, object_id, archived_at, id)",
        f"CREATE INDEX {prefix}_name ON {table} (org_id, object_id, name)",
        f"CREATE INDEX {prefix}_created ON {table} (org_id, object_id, created_at)",
        f"CREATE INDEX {prefix}_updated ON {table} (org_id, object_id, updated_at)",
    ]


V_TRIGGERS = """
CREATE FUNCTION rv_insert() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
  INSERT INTO record_values (org_id, object_id, record_id, key, position, number, text, words)
  SELECT n.org_id, n.object_id, n.id, f.key, el.position,
         CASE WHEN f.type IN ('number', 'integer') AND jsonb_typeof(el.v) = 'number'
              THEN el.v::float8 END,
         CASE WHEN f.type NOT IN ('number', 'integer') THEN left(el.v #>> '{}', 200) END,
         CASE WHEN f.type IN ('text', 'email', 'phone', 'url') THEN el.v #>> '{}' END
  FROM new_rows n
  CROSS JOIN LATERAL jsonb_each(n."values") kv
  JOIN fields f ON f.object_id = n.object_id AND f.key = kv.key
  CROSS JOIN LATERAL (
    SELECT 0 AS position, kv.value AS v
    WHERE NOT (jsonb_typeof(kv.value) = 'array' AND f.type IN ('multi_select', 'relationship'))
    UNION ALL
    SELECT (a.o - 1)::int, a.v FROM jsonb_array_elements(
      CASE WHEN jsonb_typeof(kv.value) = 'array'
            AND f.type IN ('multi_select', 'relationship') THEN kv.value ELSE '[]' END
    ) WITH ORDINALITY a(v, o)
  ) el
  WHERE f.type NOT IN ('json', 'long_text') AND el.v <> 'null'::jsonb;
  RETURN NULL;
END $f$;

CREATE FUNCTION rv_update() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
  DELETE FROM record_values rv USING old_rows o JOIN new_rows n ON n.id = o.id
   WHERE rv.record_id = o.id AND o."values" IS DISTINCT FROM n."values";
  INSERT INTO record_values (org_id, object_id, record_id, key, position, number, text, words)
  SELECT n.org_id, n.object_id, n.id, f.key, el.position,
         CASE WHEN f.type IN ('number', 'integer') AND jsonb_typeof(el.v) = 'number'
              THEN el.v::float8 END,
         CASE WHEN f.type NOT IN ('number', 'integer') THEN left(el.v #>> '{}', 200) END,
         CASE WHEN f.type IN ('text', 'email', 'phone', 'url') THEN el.v #>> '{}' END
  FROM new_rows n JOIN old_rows o ON o.id = n.id AND o."values" IS DISTINCT FROM n."values"
  CROSS JOIN LATERAL jsonb_each(n."values") kv
  JOIN fields f ON f.object_id = n.object_id AND f.key = kv.key
  CROSS JOIN LATERAL (
    SELECT 0 AS position, kv.value AS v
    WHERE NOT (jsonb_typeof(kv.value) = 'array' AND f.type IN ('multi_select', 'relationship'))
    UNION ALL
    SELECT (a.o - 1)::int, a.v FROM jsonb_array_elements(
      CASE WHEN jsonb_typeof(kv.value) = 'array'
            AND f.type IN ('multi_select', 'relationship') THEN kv.value ELSE '[]' END
    ) WITH ORDINALITY a(v, o)
  ) el
  WHERE f.type NOT IN ('json', 'long_text') AND el.v <> 'null'::jsonb;
  RETURN NULL;
END $f$;

CREATE FUNCTION rv_delete() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
  DELETE FROM record_values rv USING old_rows o WHERE rv.record_id = o.id;
  RETURN NULL;
END $f$;

CREATE TRIGGER rv_insert AFTER INSERT ON records REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION rv_insert();
CREATE TRIGGER rv_update AFTER UPDATE ON records
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION rv_update();
CREATE TRIGGER rv_delete AFTER DELETE ON records REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION rv_delete();
"""


@dataclass
class Design:
    code: str
    table: str
    notes: list[str] = field(default_factory=list)

    # --- schema -------------------------------------------------------------------------
    def create_schema(self, conn: psycopg.Connection) -> None:
        conn.execute(COMMON)
        if self.code == "O":
            conn.execute(f"CREATE TABLE records_record ({RECORD_COLUMNS}, PRIMARY KEY (id))")
            for ddl in fixed_indexes("records_record", "record"):
                conn.execute(ddl)
        elif self.code == "P":
            conn.execute(
                f"CREATE TABLE records ({RECORD_COLUMNS}, PRIMARY KEY (object_id, id)) "
                "PARTITION BY LIST (object_id)"
            )
            for ddl in fixed_indexes("records", "records"):
                conn.execute(ddl)
            conn.execute("CREATE INDEX records_name_trgm ON records USING gin (name gin_trgm_ops)")
        else:
            conn.execute(f"CREATE TABLE records ({RECORD_COLUMNS}, PRIMARY KEY (id))")
            for ddl in fixed_indexes("records", "records"):
                conn.execute(ddl)
            conn.execute("CREATE INDEX records_name_trgm ON records USING gin (name gin_trgm_ops)")
            conn.execute(
                """
                CREATE TABLE record_values (
                  org_id uuid NOT NULL, object_id uuid NOT NULL, record_id uuid NOT NULL,
                  key varchar(32) NOT NULL, position integer NOT NULL,
                  number float8, text varchar(200), words text,
                  PRIMARY KEY (record_id, key, position));
                CREATE INDEX rv_number ON record_values (org_id, object_id, key, number, record_id)
                  WHERE number IS NOT NULL;
                CREATE INDEX rv_text ON record_values (org_id, object_id, key, text, record_id)
                  WHERE text IS NOT NULL;
                CREATE INDEX rv_words ON record_values USING gin (words gin_trgm_ops)
                  WHERE words IS NOT NULL;
                """
            )
            conn.execute(V_TRIGGERS)

    # --- objects and fields -------------------------------------------------------------
    def partition_name(self, object_id: uuid.UUID) -> str:
        return f"records_p_{object_id.hex}"

    def add_object(
        self, conn: psycopg.Connection, org: uuid.UUID, object_id: uuid.UUID, fields: dict[str, str]
    ) -> None:
        """Registers the object's fields; O/P also build their indexes (P: its partition)."""
        with conn.transaction():
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO fields (org_id, object_id, key, type) VALUES (%s, %s, %s, %s)",
                    [(org, object_id, key, type_) for key, type_ in fields.items()],
                )
            if self.code == "P":
                part = self.partition_name(object_id)
                conn.execute(f"CREATE TABLE {part} (LIKE records INCLUDING DEFAULTS)")
                conn.execute(
                    f"ALTER TABLE {part} ADD PRIMARY KEY (object_id, id), "
                    f"ADD CONSTRAINT {part}_obj CHECK (object_id = '{object_id}')"
                )
                for ddl in fixed_indexes(part, part):
                    conn.execute(ddl)
                conn.execute(f"CREATE INDEX {part}_trgm ON {part} USING gin (name gin_trgm_ops)")
                for key, type_ in fields.items():
                    if sortable(type_):
                        self.field_indexes(conn, object_id, key, type_)
                conn.execute(
                    f"ALTER TABLE records ATTACH PARTITION {part} FOR VALUES IN ('{object_id}')"
                )
                conn.execute(f"ALTER TABLE {part} DROP CONSTRAINT {part}_obj")
        if self.code == "O":
            for key, type_ in fields.items():
                if sortable(type_):
                    self.field_indexes(conn, object_id, key, type_)

    def field_indexes(
        self, conn: psycopg.Connection, object_id: uuid.UUID, key: str, type_: str
    ) -> None:
        """Design O: partial indexes on the shared table (built without CONCURRENTLY, which
        would only be slower); P: plain indexes on the object's partition; V: none."""
        text = f"(\"values\" ->> '{key}')"
        expr = f"({text}::float8)" if type_ in NUMBER_TYPES else text
        if self.code == "O":
            where = f"WHERE object_id = '{object_id}'::uuid"
            conn.execute(
                f"CREATE INDEX rec_f_{key}_asc ON records_record "
                f"({expr} ASC NULLS LAST, id ASC) {where}"
            )
            conn.execute(
                f"CREATE INDEX rec_f_{key}_desc ON records_record "
                f"({expr} DESC NULLS LAST, id DESC) {where}"
            )
        elif self.code == "P":
            part = self.partition_name(object_id)
            conn.execute(f"CREATE INDEX p_{key}_asc ON {part} ({expr} ASC NULLS LAST, id ASC)")
            conn.execute(f"CREATE INDEX p_{key}_desc ON {part} ({expr} DESC NULLS LAST, id DESC)")

    def drop_field_indexes(self, conn: psycopg.Connection, key: str) -> None:
        prefix = "rec_f" if self.code == "O" else "p"
        for suffix in ("asc", "desc"):
            conn.execute(f"DROP INDEX IF EXISTS {prefix}_{key}_{suffix}")


# --------------------------------------------------------------------------------------------
# Data


DEALS_SQL = """
WITH c AS (SELECT array_agg(id ORDER BY id) AS ids FROM {table}
           WHERE org_id = %(org)s AND object_id = %(companies)s)
INSERT INTO {table} (id, org_id, object_id, name, "values", created_at, updated_at)
SELECT uuid7(ts), %(org)s, %(deals)s, 'Deal ' || lpad(i::text, 6, '0'),
  jsonb_strip_nulls(jsonb_build_object(
    %(amount)s::text, CASE WHEN random() < 0.95 THEN round((random() * 1e6)::numeric, 2) END,
    %(quantity)s::text, floor(random() * 100)::int,
    %(close_date)s::text, CASE WHEN random() < 0.9 THEN
      to_char(date '2023-01-01' + floor(random() * 1095)::int, 'YYYY-MM-DD') END,
    %(closed_at)s::text, to_char(timestamp '2023-01-01' + random() * interval '1095 days',
      'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
    %(stage)s::text, (%(stages)s::text[])[1 + floor(random() * 6)::int],
    %(tags)s::text, (SELECT coalesce(jsonb_agg(t), '[]') FROM unnest(%(tag_list)s::text[]) t
               WHERE random() < 0.2 + 0 * i),
    %(notes)s::text, CASE WHEN random() < 0.02 THEN 'Follow up on the food order '
                    ELSE 'Follow up on order ' END || md5(i::text),
    %(email)s::text, 'buyer' || i || '@example' || (i %% 100) || '.com',
    %(won)s::text, random() < 0.3,
    %(company)s::text, c.ids[1 + floor(random() * array_length(c.ids, 1))::int]::text
  )), ts, ts
FROM generate_series(1, %(n)s) i, c,
     LATERAL (SELECT now() - make_interval(secs => (%(n)s - i) * 10.0) AS ts) t
"""

COMPANIES_SQL = """
INSERT INTO {table} (id, org_id, object_id, name, "values", created_at, updated_at)
SELECT uuid7(ts), %(org)s, %(companies)s, 'Company ' || lpad(i::text, 5, '0'),
  jsonb_build_object(%(domain)s::text, 'company' || i || '.example',
                     %(employees)s::text, floor(random() * 5000)::int), ts, ts
FROM generate_series(1, %(n)s) i,
     LATERAL (SELECT now() - make_interval(secs => (%(n)s - i) * 100.0 + 1e7) AS ts) t
"""


def deal_values(rng: random.Random, company_ids: list[str], i: int) -> dict[str, Any]:
    values: dict[str, Any] = {
        K["quantity"]: rng.randrange(100),
        K["closed_at"]: f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T10:00:00Z",
        K["stage"]: rng.choice(STAGES),
        K["tags"]: [t for t in TAGS if rng.random() < 0.2],
        K["notes"]: f"Follow up on order {i}",
        K["email"]: f"new{i}@example.com",
        K["won"]: rng.random() < 0.3,
        K["company"]: rng.choice(company_ids),
    }
    if rng.random() < 0.95:
        values[K["amount"]] = round(rng.random() * 1e6, 2)
    if rng.random() < 0.9:
        values[K["close_date"]] = f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return values


def tenant_value(rng: random.Random, type_: str, j: int) -> Any:
    match type_:
        case "number":
            return round(rng.random() * 1000, 2)
        case "integer":
            return rng.randrange(1000)
        case "date":
            return f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        case "datetime":
            return f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T09:30:00Z"
        case "boolean":
            return rng.random() < 0.5
        case "select":
            return rng.choice(STAGES)
        case "multi_select":
            return [t for t in TAGS if rng.random() < 0.3]
        case "email":
            return f"person{j}@example.org"
        case _:
            return f"some text {rng.randrange(10**6)}"


# --------------------------------------------------------------------------------------------
# Measuring
