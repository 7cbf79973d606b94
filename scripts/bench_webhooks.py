"""Webhook delivery throughput: a backlog of events sent by real worker processes to a receiver
in a process of its own, on PostgreSQL; every event must arrive exactly once.

    .venv/bin/python scripts/bench_webhooks.py [--workers 2] [--events 2000] [--rounds 1]
                                               [--receiver-ms 10]

A scratch database on DATABASE_URL's server (default: the local PostgreSQL; the database in
the URL is only used to create and drop the scratch one), one endpoint (its limit of sends in
flight, WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT, lifted: this measures the workers), and a receiver
(`python -m tests.receiver`) that takes `--receiver-ms` per request, as a real one would. Each
round: batch requests create `--events` records (so the events and their deliveries exist
before any worker runs), `--workers` `manage.py db_worker` processes start, and the round ends
when every delivery has succeeded. Throughput is the round's deliveries over the time from the
first attempt's start to the last attempt's end, as the workers logged them (worker start-up
is not counted). At the end the receiver's count of each webhook-id says whether an event was
lost or arrived twice.

The last line is JSON for other tools, e.g.
{"deliveries_per_second": 612.3, "lost": 0, "duplicated": 0, "workers": 2, ...}
(the median round's throughput).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts.bench_batch import Api  # noqa: E402
from tests.server import (  # noqa: E402
    free_port,
    running_server,
    scratch_organization,
    start_db_worker,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres"
BATCH_LIMIT = 1000  # operations per batch request
ROUND_TIMEOUT = 600.0


def start_receiver_process(delay_ms: float) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.receiver", "--delay-ms", str(delay_ms)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    url = process.stdout.readline().strip()
    if not url.startswith("http://"):
        process.kill()
        raise RuntimeError("the receiver did not start")
    return process, url


def receiver_summary(url: str) -> dict:
    summary_url = url.rsplit("/", 1)[0] + "/received"
    with urllib.request.urlopen(summary_url, timeout=30) as response:  # loopback only
        return json.loads(response.read())


def create_events(api: Api, count: int, tag: str) -> None:
    for start in range(0, count, BATCH_LIMIT):
        operations = [
            {"op": "create", "name": f"{tag}-{index}"}
            for index in range(start, min(start + BATCH_LIMIT, count))
        ]
        status, body = api.post("/api/records/companies/batch", {"operations": operations})
        assert status == 200, body


def pending(conn: psycopg.Connection) -> int:
    query = "SELECT count(*) FROM webhooks_delivery WHERE status <> 'succeeded'"
    return conn.execute(query).fetchone()[0]


def attempt_span(conn: psycopg.Connection, since: float) -> tuple[int, float]:
    """The attempts logged since `since` (epoch seconds): how many, and the seconds from the
    first one's start to the last one's end."""
    count, span = conn.execute(
        "SELECT count(*), extract(epoch FROM"
        " max(started_at + duration_ms * interval '1 millisecond') - min(started_at))"
        " FROM webhooks_attempt WHERE started_at >= to_timestamp(%s)",
        [since],
    ).fetchone()
    return count, float(span)


def run_round(env: dict, api: Api, tmp: Path, args, number: int) -> dict:
    create_events(api, args.events, f"r{number}")
    since = time.time()
    started = time.perf_counter()
    # The one endpoint's limit of sends in flight (4 by default, for fairness between
    # endpoints) is lifted: the benchmark measures what the workers can send.
    worker_env = {**env, "WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT": "100000"}
    processes = [
        start_db_worker(worker_env, tmp / f"round{number}-worker{index}.log")
        for index in range(args.workers)
    ]
    try:
        # One connection, polled gently: the workers need the CPUs.
        with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
            while pending(conn):
                if time.perf_counter() - started > ROUND_TIMEOUT:
                    raise RuntimeError(f"round {number}: deliveries still pending")
                time.sleep(0.05)
            wall = time.perf_counter() - started
            attempts, span = attempt_span(conn, since)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait()
    return {
        "deliveries_per_second": round(args.events / span, 1),
        "attempts": attempts,
        "seconds": round(span, 3),
        "wall_seconds_with_worker_start": round(wall, 3),
    }


def check_exactly_once(env: dict, url: str) -> tuple[int, int, int, int]:
    """(lost, duplicated, requests, connections) over every event of every round."""
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        expected = {"evt_" + row[0].hex for row in conn.execute("SELECT id FROM webhooks_event")}
    summary = receiver_summary(url)
    counts: dict[str, int] = summary["ids"]
    lost = sum(1 for event_id in expected if event_id not in counts)
    duplicated = sum(count - 1 for count in counts.values() if count > 1)
    duplicated += sum(count for event_id, count in counts.items() if event_id not in expected)
    return lost, duplicated, summary["requests"], summary["connections"]


def main() -> None:
    parser = argparse.ArgumentParser(description="Webhook delivery throughput.")
    parser.add_argument("--workers", type=int, default=2, help="db_worker processes")
    parser.add_argument("--events", type=int, default=2000, help="events per round")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--receiver-ms", type=float, default=10.0, help="receiver's time per POST")
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    if not os.environ["DATABASE_URL"].startswith("postgres"):
        sys.exit("This benchmark runs on PostgreSQL: set DATABASE_URL to a postgres:// URL.")
    receiver, url = start_receiver_process(args.receiver_ms)
    rounds = []
    try:
        with tempfile.TemporaryDirectory() as tmp, scratch_organization(Path(tmp)) as (env, key):
            port = free_port()
            with running_server(env, port):
                api = Api(port, key)
                assert api.post("/api/objects", {"api_name": "companies"})[0] == 201
                assert api.post("/api/webhooks", {"url": url, "events": ["*"]})[0] == 201
                for number in range(1, args.rounds + 1):
                    rounds.append(run_round(env, api, Path(tmp), args, number))
                    print(f"  round {number}: {json.dumps(rounds[-1])}", flush=True)
                lost, duplicated, requests, connections = check_exactly_once(env, url)
    finally:
        receiver.kill()
        receiver.wait()
    median = statistics.median(r["deliveries_per_second"] for r in rounds)
    print(
        f"postgresql; {args.workers} worker(s), {args.events} events per round, receiver "
        f"{args.receiver_ms:g} ms per request in its own process: median {median:.0f} "
        f"deliveries/s over {len(rounds)} round(s); {requests} requests on {connections} "
        f"connection(s); lost {lost}, duplicated {duplicated}"
    )
    result = {
        "deliveries_per_second": median,
        "lost": lost,
        "duplicated": duplicated,
        "workers": args.workers,
        "events": args.events,
        "rounds": len(rounds),
        "receiver_ms": args.receiver_ms,
        "requests": requests,
        "connections": connections,
    }
    print(json.dumps(result))
    if lost or duplicated:
        sys.exit(1)


if __name__ == "__main__":
    main()
