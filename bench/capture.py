"""Captures the SQL the product runs for each read scenario, for the ceiling app to replay, so
the ceiling does the same database work whatever the product's design: each request goes
through the whole product in process (Django's test client) under CaptureQueriesContext, on
the benchmark's database.

    python -m bench.capture --key rb_… --ids ids.txt --out capture.json

The API-key lookup and the request-log insert are left out of what is stored: the ceiling
does both itself. A record id in the SQL becomes a placeholder the ceiling fills per request.
"""

import argparse
import json
import os
import re
from pathlib import Path
from typing import Any

ID = "__BENCH_ID__"
ID_HEX = "__BENCH_ID_HEX__"
# Statements the ceiling makes itself: the key lookup (and its once-a-minute touch) and the log.
OWN_WORK = re.compile(r'"?(accounts_apikey|api_requestlog)"?')


def capture(client: Any, key: str, path: str) -> tuple[int, list[str]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    # Once unmeasured, so per-process caches (schemas, say) are warm, as in a long-lived worker.
    client.get(path, **headers)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, **headers)
    return response.status_code, [query["sql"] for query in queries.captured_queries]


def template(statements: list[str], record_id: str | None) -> list[str]:
    if record_id is None:
        return statements
    hex_id = record_id.replace("-", "")
    return [sql.replace(record_id, ID).replace(hex_id, ID_HEX) for sql in statements]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--key", required=True)
    parser.add_argument("--ids", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.test import Client

    from bench.scenarios import SCENARIOS

    ids = args.ids.read_text().split()
    client = Client(raise_request_exception=False)
    captured: dict[str, Any] = {}
    for scenario in SCENARIOS:
        record_id = ids[len(ids) // 2] if "{id}" in scenario.path else None
        path = scenario.path.replace("{id}", record_id or "")
        status, statements = capture(client, args.key, path)
        replayed = [sql for sql in statements if not OWN_WORK.search(sql)]
        captured[scenario.name] = {
            "path": scenario.path,
            "status": status,
            "product_statements": len(statements),
            "statements": template(replayed, record_id),
        }
    args.out.write_text(json.dumps({"scenarios": captured}, indent=1))


if __name__ == "__main__":
    main()
