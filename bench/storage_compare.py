"""Compare three storage/index designs for records on PostgreSQL 15, in raw SQL.

  O  today: one `records_record` table, values in JSONB, fixed btree indexes, and for every
     sortable custom field two partial expression indexes `WHERE object_id = …`.
  P  one LIST partition per object (`records`, PK (object_id, id)); each partition has the fixed
     indexes, a trigram GIN on name and two non-partial expression indexes per sortable field.
     New partitions are created standalone, then ATTACHed.
  V  `records` as today (fixed indexes + trigram GIN on name) plus a typed value table
     `record_values` with a fixed set of indexes, kept by statement-level triggers with
     transition tables; the JSONB column stays the source of truth.

It creates databases, thousands of indexes and partitions: run it against a throwaway cluster,
never a shared server. On Debian/Ubuntu, as root:

    pg_createcluster 15 storagebench -p 5440 --start -- --auth-local=trust
    su postgres -c "python bench/storage_compare.py --dsn 'host=/var/run/postgresql port=5440'"
    pg_dropcluster 15 storagebench --stop

(or `initdb -D DIR` with PostgreSQL 15's initdb and `pg_ctl -D DIR -o '-p 5440' start`). It needs
the pg_trgm extension (postgresql-contrib) and psycopg 3; no Django. The server's settings are
left at their defaults (max_locks_per_transaction = 64, max_connections = 100), like a stock
install: the lock table's size is part of what is measured.

Each design gets its own database in the same run, so the designs share the machine's noise.
Every query is run through EXPLAIN (ANALYZE, BUFFERS) and plainly, several times each; the
medians of planning, execution and client wall time are reported. Writes run in a transaction
that is rolled back, so the data stays the same between runs. Then "tenant scale" adds
--orgs organizations x 10 objects x 20 fields with 20 records per object, and everything is
measured again. Design O's index build is capped by --o-budget seconds and stops at the first
"out of shared memory"; the report says how far it got.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterable
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


@dataclass
class Result:
    plan: float | None = None
    exec: float | None = None
    wall: float | None = None
    rows: int | None = None
    error: str | None = None
    explain: str = ""

    def cell(self) -> str:
        if self.error:
            return f"ERROR: {self.error[:40]}"
        parts = [f"{self.wall:.2f}" if self.wall is not None else "-"]
        if self.plan is not None:
            parts.append(f"({self.plan:.2f}+{self.exec:.2f})")
        return " ".join(parts)


PLAN_RE = re.compile(r"Planning Time: ([\d.]+) ms")
EXEC_RE = re.compile(r"Execution Time: ([\d.]+) ms")


def timed(fn: Callable[[], Any], runs: int) -> list[float]:
    walls = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        walls.append((time.perf_counter() - start) * 1000)
    return walls


def measure(
    conn: psycopg.Connection, query: str, params: Any = None, *, runs: int, write: bool = False
) -> Result:
    """Median planning/execution (EXPLAIN ANALYZE) and client wall time over `runs` runs.
    A write runs in a transaction rolled back afterwards."""
    result = Result()
    plans, execs = [], []
    try:
        for _ in range(runs):
            with conn.transaction(force_rollback=write):
                text = "\n".join(
                    row[0]
                    for row in conn.execute(
                        "EXPLAIN (ANALYZE, BUFFERS) " + query, params
                    ).fetchall()
                )
            plans.append(float(PLAN_RE.search(text).group(1)))  # type: ignore[union-attr]
            execs.append(float(EXEC_RE.search(text).group(1)))  # type: ignore[union-attr]
            result.explain = text

        def run() -> None:
            with conn.transaction(force_rollback=write):
                cur = conn.execute(query, params)
                result.rows = len(cur.fetchall()) if cur.description else cur.rowcount

        walls = timed(run, runs)
    except psycopg.Error as exc:
        result.error = str(exc).splitlines()[0]
        return result
    result.plan, result.exec = statistics.median(plans), statistics.median(execs)
    result.wall = statistics.median(walls)
    return result


def measure_client(conn: psycopg.Connection, fn: Callable[[], Any], runs: int) -> Result:
    result = Result()
    try:

        def run() -> None:
            with conn.transaction(force_rollback=True):
                fn()

        result.wall = statistics.median(timed(run, runs))
    except psycopg.Error as exc:
        result.error = str(exc).splitlines()[0]
    return result


def relation_locks(conn: psycopg.Connection, query: str, params: Any) -> Result:
    result = Result()
    try:
        with conn.transaction(force_rollback=True):
            conn.execute(query, params)
            row = conn.execute(
                "SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() "
                "AND locktype = 'relation' AND relation <> 'pg_locks'::regclass"
            ).fetchone()
            result.rows = row[0] if row else None
    except psycopg.Error as exc:
        result.error = str(exc).splitlines()[0]
    return result


# --------------------------------------------------------------------------------------------
# The suite


def jsonb_expr(key: str, number: bool = False) -> str:
    text = f"(\"values\" ->> '{key}')"
    return f"({text}::float8)" if number else text


def queries(d: Design) -> dict[str, tuple[str, str]]:
    """name -> (page/only query, count query or '') with %(org)s, %(obj)s … parameters."""
    t = d.table
    base = "org_id = %(org)s AND object_id = %(obj)s AND archived_at IS NULL"
    cols = 'id, name, "values", created_at, updated_at'
    q: dict[str, tuple[str, str]] = {}
    q["b first page id DESC"] = (
        f"SELECT {cols} FROM {t} WHERE {base} ORDER BY id DESC LIMIT 100",
        f"SELECT count(*) FROM {t} WHERE {base}",
    )
    for label, pattern in (("d name ILIKE %99%", "%%99%%"), ("e name ILIKE %999%", "%%999%%")):
        where = f"{base} AND name ILIKE '{pattern}'"
        q[label] = (
            f"SELECT {cols} FROM {t} WHERE {where} ORDER BY id DESC LIMIT 100",
            f"SELECT count(*) FROM {t} WHERE {where}",
        )
    amount = K["amount"]
    close = K["close_date"]
    stage, notes = K["stage"], K["notes"]
    if d.code in ("O", "P"):
        where = f"{base} AND {jsonb_expr(amount, True)} BETWEEN %(lo)s AND %(hi)s"
        q["c amount range by close_date"] = (
            f"SELECT {cols} FROM {t} WHERE {where} "
            f"ORDER BY {jsonb_expr(close)} DESC NULLS LAST, id DESC LIMIT 100",
            f"SELECT count(*) FROM {t} WHERE {where}",
        )
        where = f"{base} AND {jsonb_expr(stage)} = 'won'"
        q["f stage = won"] = (
            f"SELECT {cols} FROM {t} WHERE {where} ORDER BY id DESC LIMIT 100",
            f"SELECT count(*) FROM {t} WHERE {where}",
        )
        where = f"{base} AND {jsonb_expr(notes)} ILIKE '%%foo%%'"
        q["g notes ILIKE %foo%"] = (
            f"SELECT {cols} FROM {t} WHERE {where} ORDER BY id DESC LIMIT 100",
            f"SELECT count(*) FROM {t} WHERE {where}",
        )
    else:
        rv = "org_id = %(org)s AND object_id = %(obj)s"
        in_amount = (
            f"id IN (SELECT record_id FROM record_values WHERE {rv} AND key = '{amount}' "
            "AND number BETWEEN %(lo)s AND %(hi)s)"
        )
        count_c = f"SELECT count(*) FROM records WHERE {base} AND {in_amount}"
        q["c amount range by close_date [V1 IN + jsonb sort]"] = (
            f"SELECT {cols} FROM records WHERE {base} AND {in_amount} "
            f"ORDER BY {jsonb_expr(close)} DESC NULLS LAST, id DESC LIMIT 100",
            count_c,
        )
        q["c amount range by close_date [V2 IN + LEFT JOIN sort]"] = (
            f'SELECT r.id, r.name, r."values", r.created_at, r.updated_at FROM records r '
            f"LEFT JOIN record_values s ON s.record_id = r.id AND s.key = '{close}' "
            f"AND s.position = 0 WHERE r.{base.replace(' AND ', ' AND r.')} AND r.{in_amount} "
            "ORDER BY s.text DESC NULLS LAST, r.id DESC LIMIT 100",
            count_c,
        )
        q["c amount range by close_date [V3 date-index walk]"] = (
            f'SELECT r.id, r.name, r."values", r.created_at, r.updated_at '
            f"FROM record_values s JOIN records r ON r.id = s.record_id "
            f"WHERE s.org_id = %(org)s AND s.object_id = %(obj)s AND s.key = '{close}' "
            "AND s.text IS NOT NULL AND r.archived_at IS NULL AND EXISTS ("
            f"SELECT 1 FROM record_values a WHERE a.record_id = s.record_id "
            f"AND a.key = '{amount}' AND a.position = 0 AND a.number BETWEEN %(lo)s AND %(hi)s) "
            "ORDER BY s.text DESC, s.record_id DESC LIMIT 100",
            count_c,
        )
        q["c' V3 second query (records lacking close_date)"] = (
            f"SELECT {cols} FROM records r WHERE {base} AND {in_amount} AND NOT EXISTS ("
            f"SELECT 1 FROM record_values s WHERE s.record_id = r.id AND s.key = '{close}') "
            "ORDER BY id DESC LIMIT 100",
            "",
        )
        in_stage = (
            f"id IN (SELECT record_id FROM record_values WHERE {rv} AND key = '{stage}' "
            "AND text = 'won')"
        )
        q["f stage = won"] = (
            f"SELECT {cols} FROM records WHERE {base} AND {in_stage} ORDER BY id DESC LIMIT 100",
            f"SELECT count(*) FROM records WHERE {base} AND {in_stage}",
        )
        in_notes = (
            f"id IN (SELECT record_id FROM record_values WHERE {rv} AND key = '{notes}' "
            "AND words ILIKE '%%foo%%')"
        )
        q["g notes ILIKE %foo%"] = (
            f"SELECT {cols} FROM records WHERE {base} AND {in_notes} ORDER BY id DESC LIMIT 100",
            f"SELECT count(*) FROM records WHERE {base} AND {in_notes}",
        )
    return q


def insert_rows(n: int, rng: random.Random, company_ids: list[str]) -> list[tuple]:
    now = time.time_ns() // 1_000_000
    return [
        (
            uuid7(now + i),
            ORG,
            DEAL_OBJ,
            f"Deal N{i:06d}",
            json.dumps(deal_values(rng, company_ids, i)),
        )
        for i in range(n)
    ]


def run_suite(d: Design, conn: psycopg.Connection, runs: int, out: dict[str, Result]) -> None:
    t = d.table
    params = {"org": ORG, "obj": DEAL_OBJ, "lo": AMOUNT_LOW, "hi": AMOUNT_HIGH}
    deal_id = conn.execute(
        f"SELECT id FROM {t} WHERE org_id = %s AND object_id = %s ORDER BY id LIMIT 1 OFFSET 50",
        (ORG, DEAL_OBJ),
    ).fetchone()[0]  # type: ignore[index]
    company_ids = [
        str(r[0])
        for r in conn.execute(
            f"SELECT id FROM {t} WHERE org_id = %s AND object_id = %s LIMIT 1000",
            (ORG, COMPANY_OBJ),
        )
    ]
    get = f"SELECT * FROM {t} WHERE org_id = %(org)s AND object_id = %(obj)s AND id = %(id)s"
    out["1 GET by id"] = measure(conn, get, {**params, "id": deal_id}, runs=runs)

    rng = random.Random(7)
    insert = f'INSERT INTO {t} (id, org_id, object_id, name, "values") VALUES '
    one = insert_rows(1, rng, company_ids)
    out["2a INSERT one deal"] = measure(
        conn, insert + "(%s, %s, %s, %s, %s)", one[0], runs=runs, write=True
    )
    batch = insert_rows(1000, rng, company_ids)
    flat = [v for row in batch for v in row]
    out["2b INSERT 1,000 (multi-row)"] = measure(
        conn,
        insert + ", ".join(["(%s, %s, %s, %s, %s)"] * len(batch)),
        flat,
        runs=runs,
        write=True,
    )

    def copy() -> None:
        copy_sql = f'COPY {t} (id, org_id, object_id, name, "values") FROM STDIN'
        with conn.cursor() as cur, cur.copy(copy_sql) as cp:
            for row in batch:
                cp.write_row(row)

    out["2c COPY 1,000"] = measure_client(conn, copy, runs)

    for name, (page, count) in queries(d).items():
        out[name + " — page"] = measure(conn, page, params, runs=runs)
        if count:
            out[name + " — count"] = measure(conn, count, params, runs=runs)

    out["7a relation locks: GET"] = relation_locks(conn, get, {**params, "id": deal_id})
    out["7b relation locks: INSERT"] = relation_locks(conn, insert + "(%s, %s, %s, %s, %s)", one[0])
    row = conn.execute("SELECT count(*) FROM pg_class").fetchone()
    out["7c relations in pg_class"] = Result(rows=row[0] if row else None)

    key = key_of(f"deals.new_field.{time.time_ns()}")
    start = time.perf_counter()
    try:
        conn.execute(
            "INSERT INTO fields (org_id, object_id, key, type) VALUES (%s, %s, %s, 'number')",
            (ORG, DEAL_OBJ, key),
        )
        d.field_indexes(conn, DEAL_OBJ, key, "number")
        out["7d add a number field to deals"] = Result(wall=(time.perf_counter() - start) * 1000)
    except psycopg.Error as exc:
        out["7d add a number field to deals"] = Result(error=str(exc).splitlines()[0])
    d.drop_field_indexes(conn, key)
    conn.execute("DELETE FROM fields WHERE key = %s", (key,))


def load_main(d: Design, conn: psycopg.Connection, deals: int) -> float:
    start = time.perf_counter()
    d.add_object(conn, ORG, COMPANY_OBJ, {CK[n]: t for n, t in COMPANY_FIELDS.items()})
    d.add_object(conn, ORG, DEAL_OBJ, {K[n]: t for n, t in DEAL_FIELDS.items()})
    conn.execute(
        COMPANIES_SQL.format(table=d.table),
        {
            "org": ORG,
            "companies": COMPANY_OBJ,
            "n": COMPANIES,
            "domain": CK["domain"],
            "employees": CK["employees"],
        },
    )
    conn.execute(
        DEALS_SQL.format(table=d.table),
        {
            "org": ORG,
            "companies": COMPANY_OBJ,
            "deals": DEAL_OBJ,
            "n": deals,
            "stages": STAGES,
            "tag_list": TAGS,
            **K,
        },
    )
    conn.execute("VACUUM ANALYZE")
    return time.perf_counter() - start


def tenant_scale(d: Design, conn: psycopg.Connection, orgs: int, budget: float) -> dict:
    """Adds `orgs` organizations x 10 objects x 20 fields x 20 records."""
    rng = random.Random(11)
    start = time.perf_counter()
    done_orgs = done_fields = 0
    stopped = ""
    for o in range(orgs):
        org = oid(f"org:{o}")
        for b in range(10):
            obj = oid(f"object:{o}:{b}")
            fields = {key_of(f"{o}.{b}.{f}"): TENANT_TYPES[f % 10] for f in range(20)}
            try:
                d.add_object(conn, org, obj, fields)
                copy_sql = f'COPY {d.table} (id, org_id, object_id, name, "values") FROM STDIN'
                with conn.cursor() as cur, cur.copy(copy_sql) as cp:
                    for j in range(20):
                        values = {k: tenant_value(rng, t, j) for k, t in fields.items()}
                        cp.write_row((uuid7(), org, obj, f"Thing {j}", json.dumps(values)))
            except psycopg.Error as exc:
                stopped = f"stopped at org {o}, object {b}: {str(exc).splitlines()[0]}"
                break
            done_fields += len(fields)
        else:
            done_orgs += 1
            if d.code == "O" and time.perf_counter() - start > budget:
                stopped = f"stopped after {done_orgs} orgs: --o-budget of {budget:.0f} s spent"
            if not stopped:
                continue
        break
    elapsed = time.perf_counter() - start
    try:
        conn.execute("ANALYZE")
    except psycopg.Error as exc:
        stopped += f"; ANALYZE failed: {str(exc).splitlines()[0]}"
    return {
        "orgs": done_orgs,
        "fields": done_fields,
        "seconds": elapsed,
        "stopped": stopped,
        "analyze_seconds": time.perf_counter() - start - elapsed,
    }


def lock_verification(conn: psycopg.Connection) -> dict[str, list[str]]:
    """Which locks CREATE TABLE … PARTITION OF and ATTACH PARTITION take on the parent."""
    found: dict[str, list[str]] = {}
    probes = {
        "CREATE TABLE … PARTITION OF": [
            "CREATE TABLE records_probe1 PARTITION OF records FOR VALUES IN "
            "('00000000-0000-0000-0000-000000000001')"
        ],
        "ATTACH PARTITION (standalone table, with CHECK)": [
            "CREATE TABLE records_probe2 (LIKE records INCLUDING DEFAULTS)",
            "ALTER TABLE records_probe2 ADD PRIMARY KEY (object_id, id), ADD CONSTRAINT c "
            "CHECK (object_id = '00000000-0000-0000-0000-000000000002')",
            "ALTER TABLE records ATTACH PARTITION records_probe2 FOR VALUES IN "
            "('00000000-0000-0000-0000-000000000002')",
        ],
    }
    for label, statements in probes.items():
        with conn.transaction(force_rollback=True):
            for s in statements:
                conn.execute(s)
            found[label] = [
                r[0]
                for r in conn.execute(
                    "SELECT mode FROM pg_locks WHERE pid = pg_backend_pid() "
                    "AND locktype = 'relation' AND relation = 'records'::regclass"
                )
            ]
    return found


# --------------------------------------------------------------------------------------------
# Report


def table(results: dict[str, dict[str, Result]], columns: Iterable[str]) -> str:
    columns = list(columns)
    names: list[str] = []
    for column in columns:
        for name in results.get(column, {}):
            if name not in names:
                names.append(name)
    lines = [
        "| measurement | " + " | ".join(columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    for name in names:
        cells = []
        for column in columns:
            r = results.get(column, {}).get(name)
            if r is None:
                cells.append("")
            elif r.wall is None and r.error is None and r.rows is not None:
                cells.append(str(r.rows))
            else:
                cells.append(r.cell())
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", required=True, help="a throwaway cluster's admin database")
    parser.add_argument("--designs", default="O,P,V")
    parser.add_argument("--orgs", type=int, default=200, help="tenant-scale organizations")
    parser.add_argument(
        "--o-budget",
        type=float,
        default=300.0,
        help="seconds design O may spend building tenant-scale indexes",
    )
    parser.add_argument("--deals", type=int, default=DEALS)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--plans", default="", help="write every EXPLAIN output to this JSON")
    args = parser.parse_args()

    designs = {
        "O": Design("O", "records_record"),
        "P": Design("P", "records"),
        "V": Design("V", "records"),
    }
    results: dict[str, dict[str, Result]] = {}
    extra: dict[str, Any] = {}
    with psycopg.connect(args.dsn, autocommit=True) as admin:
        version = admin.execute("SHOW server_version").fetchone()
        extra["server_version"] = version[0] if version else "?"
        for code in args.designs.split(","):
            db = f"storage_bench_{code.lower()}"
            admin.execute(f"DROP DATABASE IF EXISTS {db}")
            admin.execute(f"CREATE DATABASE {db}")
    base = psycopg.conninfo.conninfo_to_dict(args.dsn)
    for code in args.designs.split(","):
        d = designs[code]
        dsn = psycopg.conninfo.make_conninfo(**{**base, "dbname": f"storage_bench_{code.lower()}"})
        with psycopg.connect(dsn, autocommit=True, prepare_threshold=None) as conn:
            d.create_schema(conn)
            extra[f"{code} load seconds"] = load_main(d, conn, args.deals)
            print(f"{code}: loaded in {extra[f'{code} load seconds']:.1f} s", file=sys.stderr)
            if code == "P":
                extra["P lock verification"] = lock_verification(conn)
            run_suite(d, conn, args.runs, results.setdefault(f"{code} before", {}))
            print(f"{code}: measured before", file=sys.stderr)
            scale = tenant_scale(d, conn, args.orgs, args.o_budget)
            extra[f"{code} tenant scale"] = scale
            print(f"{code}: tenant scale {scale}", file=sys.stderr)
        # A fresh connection, as a new request would have (no warm relcache).
        with psycopg.connect(dsn, autocommit=True, prepare_threshold=None) as conn:
            after = results.setdefault(f"{code} after", {})
            after["7e tenant-scale setup (s)"] = Result(rows=round(scale["seconds"]))
            run_suite(d, conn, args.runs, after)
            print(f"{code}: measured after", file=sys.stderr)

    columns = [f"{c} {p}" for c in args.designs.split(",") for p in ("before", "after")]
    print("Cells: client wall ms, median (planning + execution ms from EXPLAIN ANALYZE);")
    print("lock and relation rows are counts.\n")
    print(table(results, columns))
    print()
    print(json.dumps(extra, indent=2, default=str))
    if args.plans:
        with open(args.plans, "w") as fh:
            plans = {
                c: {n: r.explain for n, r in rs.items() if r.explain} for c, rs in results.items()
            }
            json.dump(plans, fh, indent=1)


if __name__ == "__main__":
    main()
