"""How much the request log costs a request, measured two ways.

1. As a client sees it: two real servers (runserver, one with the log on, one off) on one
   scratch database, GET /api/me over keep-alive HTTP, alternating batches.
2. The write itself: the time of one request-log INSERT, in process.

    .venv/bin/python scripts/bench_request_log.py [--requests 2000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
        .venv/bin/python scripts/bench_request_log.py
"""

import argparse
import http.client
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.server import free_port, running_server, scratch_organization  # noqa: E402


def timed(port: int, headers: dict[str, str], count: int) -> list[float]:
    # A new connection per request, as most webhook-style integrators make them (and so no
    # Nagle/delayed-ACK stalls from the development server's two writes on a kept-alive one).
    durations = []
    for _ in range(count):
        started = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", port)
        conn.request("GET", "/api/me", headers=headers)
        response = conn.getresponse()
        response.read()
        conn.close()
        durations.append((time.perf_counter() - started) * 1000)
        assert response.status == 200, response.status
    return durations


def summary(values: list[float]) -> str:
    p95 = statistics.quantiles(values, n=20)[-1]
    median, mean = statistics.median(values), statistics.fmean(values)
    return f"median {median:.3f} ms, mean {mean:.3f} ms, p95 {p95:.3f} ms"


def insert_cost(env: dict[str, str], count: int) -> float:
    code = (
        "import django, time, uuid; django.setup()\n"
        "from django.utils import timezone\n"
        "from api.services import record_request\n"
        f"n = {count}\n"
        "t = time.perf_counter()\n"
        "for _ in range(n):\n"
        "    record_request(guid=uuid.uuid4(), org_id=None, api_key_id=None, api_key_prefix='',"
        " method='GET', path='/api/me', status=200, duration_ms=1.0, error='',"
        " created_at=timezone.now())\n"
        "print((time.perf_counter() - t) / n * 1000)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000, help="per setting")
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()

    with (
        tempfile.TemporaryDirectory() as tmp,
        scratch_organization(Path(tmp), scope="read") as (env, key),
    ):
        url = env["DATABASE_URL"]
        headers = {"Authorization": f"Bearer {key}"}
        (Path(tmp) / "off").mkdir()
        ports = {True: free_port(), False: free_port()}
        with (
            running_server({**env, "API_REQUEST_LOG_ENABLED": "true"}, ports[True]),
            running_server(
                {**env, "API_REQUEST_LOG_ENABLED": "false", "VAR_DIR": tmp + "/off"},
                ports[False],
            ),
        ):
            for on in (True, False):
                timed(ports[on], headers, 200)  # warm up
            results: dict[bool, list[float]] = {True: [], False: []}
            for _ in range(args.requests // args.batch):
                for on in (True, False):
                    results[on].extend(timed(ports[on], headers, args.batch))
        write_ms = insert_cost(env, 1000)

    vendor = "postgresql" if url.startswith("postgres") else "sqlite"
    print(f"database: {vendor}; {args.requests} GET /api/me per setting over HTTP")
    print(f"  log off: {summary(results[False])}")
    print(f"  log on:  {summary(results[True])}")
    added = statistics.median(results[True]) - statistics.median(results[False])
    print(f"  client-visible difference at the median: {added:+.3f} ms")
    print(f"  one request-log write, done after the response is sent: {write_ms:.3f} ms")


if __name__ == "__main__":
    main()
