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
    su postgres -c "python -m bench.storage_compare --dsn 'host=/var/run/postgresql port=5440'"
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
import json
import random
import sys
import time
from typing import Any

import psycopg

from bench.storage_designs import (
    AMOUNT_HIGH,
    AMOUNT_LOW,
    CK,
    COMPANIES,
    COMPANIES_SQL,
    COMPANY_FIELDS,
    COMPANY_OBJ,
    DEAL_FIELDS,
    DEAL_OBJ,
    DEALS,
    DEALS_SQL,
    ORG,
    STAGES,
    TAGS,
    TENANT_TYPES,
    Design,
    K,
    deal_values,
    key_of,
    oid,
    tenant_value,
    uuid7,
)
from bench.storage_timing import (
    Result,
    measure,
    measure_client,
    relation_locks,
    table,
)


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
