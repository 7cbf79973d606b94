"""1,000 creates as one batch request against 1,000 single POSTs, over HTTP, on PostgreSQL.

    .venv/bin/python scripts/bench_batch.py [--records 1000] [--rounds 3]

Uses DATABASE_URL's server (default: the local PostgreSQL at 127.0.0.1:5432) with a scratch
database it creates and drops. The server is runserver, one process, as for the other
benchmarks; both ways are measured against the same server, the same object (companies with
a unique domain, a number, a select and a relationship) and the same record shapes. Prints
the wall time of each way and the ratio.
"""

import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.server import free_port, running_server, scratch_organization  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/test"
COMPANIES = {
    "api_name": "companies",
    "fields": [
        {"api_name": "domain", "type": "text", "unique": True},
        {"api_name": "revenue", "type": "number"},
        {"api_name": "tier", "type": "select", "options": {"choices": ["a", "b", "c"]}},
        {"api_name": "owner", "type": "relationship", "options": {"target": "contacts"}},
    ],
}


class Api:
    """A new connection per request: on a kept-alive one, the development server's two writes
    per answer meet the client's delayed ACK and every request would wait ~40 ms, which
    would flatter the batch."""

    def __init__(self, port: int, key: str) -> None:
        self.port = port
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def post(self, path: str, body: object) -> tuple[int, dict]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port)
        try:
            conn.request("POST", path, body=json.dumps(body), headers=self.headers)
            response = conn.getresponse()
            return response.status, json.loads(response.read())
        finally:
            conn.close()


def company(tag: str, index: int, owner: str) -> dict:
    return {
        "name": f"Company {tag} {index}",
        "fields": {
            "domain": f"{tag}-{index}.example.com",
            "revenue": index * 1000.5,
            "tier": "abc"[index % 3],
            "owner": owner,
        },
    }


def singles(api: Api, tag: str, count: int, owner: str) -> float:
    started = time.perf_counter()
    for index in range(count):
        status, body = api.post("/api/records/companies", company(tag, index, owner))
        assert status == 201, body
    return time.perf_counter() - started


def one_batch(api: Api, tag: str, count: int, owner: str) -> float:
    operations = [{"op": "create", **company(tag, index, owner)} for index in range(count)]
    started = time.perf_counter()
    status, body = api.post("/api/records/companies/batch", {"operations": operations})
    elapsed = time.perf_counter() - started
    assert status == 200, body
    assert [result["status"] for result in body["data"]] == [201] * count
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)

    with tempfile.TemporaryDirectory() as tmp, scratch_organization(Path(tmp)) as (env, key):
        env["API_REQUEST_LOG_ENABLED"] = "true"
        port = free_port()
        with running_server(env, port):
            api = Api(port, key)
            status, body = api.post("/api/objects", COMPANIES)
            assert status == 201, body
            status, body = api.post(
                "/api/records/contacts", {"fields": {"email": "owner@example.com"}}
            )
            assert status == 201, body
            owner = body["data"]["id"]
            singles(api, "warm", 50, owner)  # warm up the server and the connection
            one_batch(api, "warmbatch", 50, owner)
            single_times, batch_times = [], []
            for round_ in range(args.rounds):
                single_times.append(singles(api, f"s{round_}", args.records, owner))
                batch_times.append(one_batch(api, f"b{round_}", args.records, owner))

    vendor = "postgresql" if os.environ["DATABASE_URL"].startswith("postgres") else "sqlite"
    single, batched = statistics.median(single_times), statistics.median(batch_times)
    print(f"database: {vendor}; {args.records} creates, median of {args.rounds} rounds")
    print(
        f"  {args.records} single POSTs:     {single * 1000:9.1f} ms "
        f"({args.records / single:8.0f} records/s)"
    )
    print(
        f"  one batch of {args.records}:       {batched * 1000:9.1f} ms "
        f"({args.records / batched:8.0f} records/s)"
    )
    print(f"  the batch is {single / batched:.1f} times faster")


if __name__ == "__main__":
    main()
