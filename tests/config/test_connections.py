"""Database connections stay bounded however busy the server is: the product served as `make
run` serves it (gunicorn with config/gunicorn.py, and the db_worker beside it) on PostgreSQL,
8 clients sending 1,300 requests between them, every answer a success, and the server never
holding more connections to the database than one per worker process and a small constant.
The development server (`manage.py runserver`) too: at most one per client at a time.

The bound, and why it holds, is in docs/operations.md ("Database connections")."""

import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.server import fetch, free_port, running_server, scratch_organization, start_db_worker

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="counts PostgreSQL server connections (pg_stat_activity); SQLite has no server",
)

WORKERS = 3
CLIENTS = 8
REQUESTS = 1_300
# Beside the server's own: the db_worker's one, and slack for a connection whose client has
# closed it while its server backend is still exiting (still listed for a moment).
OTHER_CONNECTIONS = 3


class ConnectionSampler:
    """Counts the server's connections to one database every few milliseconds, from a
    connection to another database (so that it does not count itself)."""

    def __init__(self, database_url: str) -> None:
        import psycopg

        base, _, self.name = database_url.rpartition("/")
        self.conn = psycopg.connect(f"{base}/postgres", autocommit=True)
        self.samples: list[int] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def count(self) -> int:
        row = self.conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [self.name]
        ).fetchone()
        return row[0]

    def run(self) -> None:
        while not self.stop.is_set():
            self.samples.append(self.count())
            time.sleep(0.02)

    def __enter__(self) -> "ConnectionSampler":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()
        self.conn.close()


# How many connections each way of serving may hold: gunicorn's sync workers keep one each
# (DATABASE_CONN_MAX_AGE, set by config/gunicorn.py); the development server starts a thread
# per client connection, so there each request closes its own and at most one per client is
# open at a time.
BOUNDS = {"gunicorn": WORKERS, "runserver": CLIENTS}


@pytest.mark.parametrize("server", ["gunicorn", "runserver"])
def test_8_clients_1300_requests_no_errors_and_connections_bounded(tmp_path, server):
    with scratch_organization(tmp_path) as (env, key):
        env = {**env, "WEB_CONCURRENCY": str(WORKERS)}
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        worker = start_db_worker(env, tmp_path / "worker.log")
        try:
            with running_server(env, port, server=server) as log_path:
                status, _, body = fetch(
                    f"{base}/api/records/contacts",
                    headers,
                    method="POST",
                    data=json.dumps({"fields": {"email": "first@example.com"}}).encode(),
                )
                assert status == 201, body
                first_id = json.loads(body)["data"]["id"]

                def one_request(n: int) -> tuple[int, int]:
                    kind = n % 3
                    if kind == 0:
                        url, method, data = f"{base}/api/records/contacts?limit=20", "GET", None
                    elif kind == 1:
                        url, method, data = f"{base}/api/records/contacts/{first_id}", "GET", None
                    else:
                        email = json.dumps({"fields": {"email": f"c{n}@example.com"}})
                        url, method, data = f"{base}/api/records/contacts", "POST", email.encode()
                    status, _, _ = fetch(url, headers, method=method, data=data)
                    return n, status

                with ConnectionSampler(env["DATABASE_URL"]) as sampler:
                    started = time.monotonic()
                    with ThreadPoolExecutor(max_workers=CLIENTS) as clients:
                        answers = list(clients.map(one_request, range(REQUESTS)))
                    elapsed = time.monotonic() - started
                server_log = log_path.read_text()
        finally:
            worker.terminate()
            worker.wait(timeout=30)

    errors = [(n, status) for n, status in answers if status not in (200, 201)]
    most = max(sampler.samples)
    print(  # the figures, for the record (pytest -s)
        f"{REQUESTS} requests from {CLIENTS} clients in {elapsed:.1f} s: {len(errors)} errors, "
        f"at most {most} connections ({len(sampler.samples)} samples)"
    )
    assert errors == [], errors[:10]
    assert sum(1 for _, status in answers if status == 201) == REQUESTS // 3
    assert "too many clients" not in server_log
    assert len(sampler.samples) > 10
    assert most <= BOUNDS[server] + OTHER_CONNECTIONS, (most, sampler.samples[-20:])
