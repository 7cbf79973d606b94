"""How many indexes one read and one write of deals' records touch, in process: the request
goes through the whole product (Django's test client) inside a transaction that is rolled
back, then:

- a read: the relation locks of kind index this backend holds are counted (PostgreSQL keeps
  them to the transaction's end, and the planner locks every index of a table it plans for);
- a write: an INSERT or UPDATE opens, and checks the predicate of, every index of the table it
  writes, but lets go of those locks when the statement ends, so the tables this transaction
  wrote (pg_stat_xact_user_tables, which sees what triggers wrote too) have their indexes
  counted instead.

    python -m bench.locks --key rb_… --out locks.json
"""

import argparse
import json
import os
from pathlib import Path
from typing import Any

# Per-request bookkeeping of every API call, counted apart from the records' own indexes.
BOOKKEEPING = ("accounts_", "api_", "django_")
HELD_INDEX_LOCKS = """
SELECT t.relname, count(*)
FROM pg_locks l
JOIN pg_class i ON i.oid = l.relation AND i.relkind IN ('i', 'I')
JOIN pg_index x ON x.indexrelid = i.oid
JOIN pg_class t ON t.oid = x.indrelid
WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation'
GROUP BY t.relname
"""
INDEXES_OF_WRITTEN_TABLES = """
SELECT s.relname, count(x.indexrelid)
FROM pg_stat_xact_user_tables s
LEFT JOIN pg_index x ON x.indrelid = s.relid
WHERE s.n_tup_ins + s.n_tup_upd + s.n_tup_del > 0
GROUP BY s.relname
"""
DEAL = {
    "name": "Deal lock probe",
    "fields": {"amount": 1234.5, "stage": "won", "close_date": "2025-01-01", "seats": 3},
}


class _RolledBack(Exception):
    pass


def measure(client: Any, key: str, method: str, path: str, body: Any = None) -> dict[str, Any]:
    from django.db import DatabaseError, connection, transaction

    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    result: dict[str, Any] = {}
    try:
        with transaction.atomic():
            if method == "GET":
                response = client.get(path, **headers)
            else:
                response = client.post(
                    path, json.dumps(body), content_type="application/json", **headers
                )
            result["status"] = response.status_code
            with connection.cursor() as cursor:
                cursor.execute(HELD_INDEX_LOCKS if method == "GET" else INDEXES_OF_WRITTEN_TABLES)
                # The catalogs' own indexes are this probe's lookups, not the request's.
                by_table = {t: n for t, n in cursor.fetchall() if not t.startswith("pg_")}
            raise _RolledBack
    except _RolledBack:
        pass
    except DatabaseError as error:  # "out of shared memory" when the lock table overflows
        result["error"] = f"{type(error).__name__}: {error}"[:500]
        return result
    result["by_table"] = by_table
    result["indexes"] = sum(n for table, n in by_table.items() if not table.startswith(BOOKKEEPING))
    result["bookkeeping_indexes"] = sum(by_table.values()) - result["indexes"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--key", required=True)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.test import Client

    client = Client(raise_request_exception=False)
    measure(client, args.key, "GET", "/api/records/deals?limit=1")  # warm per-process caches
    found = {
        "read": measure(client, args.key, "GET", "/api/records/deals?limit=100"),
        "write": measure(client, args.key, "POST", "/api/records/deals", DEAL),
    }
    args.out.write_text(json.dumps(found, indent=1))


if __name__ == "__main__":
    main()
