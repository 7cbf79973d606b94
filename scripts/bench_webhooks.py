"""Webhook delivery throughput: 500 events sent by 1 worker, then by 2, on PostgreSQL.

    .venv/bin/python scripts/bench_webhooks.py [--events 500] [--receiver-ms 10]

A scratch database on DATABASE_URL's server (default: the local PostgreSQL), a receiver in
this process that takes `--receiver-ms` per request (as a real one would), and real
`manage.py db_worker` processes. For each worker count: one batch request creates the
records (so the events and deliveries exist before any worker runs), then the workers start
and the clock runs until every delivery has succeeded. Prints the wall times, the ratio, and
whether any event reached the receiver twice.
"""

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts.bench_batch import Api  # noqa: E402
from tests.receiver import start_receiver  # noqa: E402
from tests.server import (  # noqa: E402
    free_port,
    running_server,
    scratch_organization,
    start_db_worker,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/test"


def succeeded(conn) -> int:
    row = conn.execute("SELECT count(*) FROM webhooks_delivery WHERE status = 'succeeded'")
    return row.fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--receiver-ms", type=float, default=10.0)
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    receiver, receiver_server = start_receiver()
    receiver.answer(*[(200, "ok", args.receiver_ms / 1000)] * (args.events * 2))
    timings: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp, scratch_organization(Path(tmp)) as (env, key):
        port = free_port()
        with running_server(env, port):
            api = Api(port, key)
            assert api.post("/api/objects", {"api_name": "companies"})[0] == 201
            assert api.post("/api/webhooks", {"url": receiver.url, "events": ["*"]})[0] == 201
            done = 0
            for workers in (1, 2):
                operations = [
                    {"op": "create", "name": f"w{workers}-{index}"} for index in range(args.events)
                ]
                status, body = api.post("/api/records/companies/batch", {"operations": operations})
                assert status == 200, body
                started = time.perf_counter()
                processes = [
                    start_db_worker(env, Path(tmp, f"workers-{workers}-{index}.log"))
                    for index in range(workers)
                ]
                try:
                    # One connection, polled gently: the workers need the CPUs.
                    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
                        while succeeded(conn) < done + args.events:
                            time.sleep(0.05)
                    timings[workers] = time.perf_counter() - started
                finally:
                    for process in processes:
                        process.terminate()
                        process.wait()
                done += args.events
    receiver_server.shutdown()
    twice = sum(
        1 for n in Counter(m.headers["webhook-id"] for m in receiver.received).values() if n > 1
    )
    print(
        f"database: postgresql; {args.events} events per run, receiver {args.receiver_ms:g} ms "
        "per request; wall time from worker start to the last delivery"
    )
    for workers, seconds in timings.items():
        print(f"  {workers} worker(s): {seconds:7.2f} s ({args.events / seconds:6.0f} events/s)")
    print(f"  2 workers take {timings[2] / timings[1]:.0%} of 1 worker's time")
    print(f"  events received more than once: {twice}")


if __name__ == "__main__":
    main()
