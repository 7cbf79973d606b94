"""The ceiling: a bare WSGI app doing the database work of a product request and nothing
else. No framework: psycopg, one persistent connection per worker process, orjson.

Per request: the API-key lookup (by prefix, then a constant-time hash comparison), the
product's own SQL for the scenario (captured by bench/capture.py, read at start from the file
named by BENCH_CAPTURE), the rows encoded with orjson, and the same request-log row the
product writes, inserted after the answer is sent, as the product does. Served by the same
gunicorn with the same workers as the product, its throughput is what the product could reach
if everything but the database cost nothing.
"""

import hashlib
import hmac
import json
import os
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import psycopg
from psycopg import pq

from bench.capture import ID, ID_HEX
from config.postgres_session import session_options

AUTHORIZATION = re.compile(r"^Bearer (rb_[0-9a-f]{12})_[0-9a-f]{48}$")
UUID_TEXT = re.compile(r"^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$")
KEY_LOOKUP = (
    "SELECT k.id, k.org_id, k.scope, k.hashed_key, k.revoked_at, o.id, o.name, o.slug "
    "FROM accounts_apikey k JOIN accounts_organization o ON o.id = k.org_id "
    "WHERE k.prefix = %s ORDER BY k.created_at DESC LIMIT 1"
)
# The product's request-log insert: asynchronous commit for this one statement.
LOG_INSERT = (
    "WITH async AS (SELECT set_config('synchronous_commit', 'off', true)) "
    "INSERT INTO api_requestlog (guid, org_id, api_key_id, api_key_prefix, method, path, status, "
    "duration_ms, error, created_at) "
    "SELECT %s, %s, %s, %s, %s, %s, %s, %s, %s, %s FROM async"
)
JSON = [("Content-Type", "application/json")]


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return str(value)


class _AfterSend:
    """The body, plus work gunicorn runs when it closes the response (after the bytes left)."""

    def __init__(self, body: bytes, after: Callable[[], None]) -> None:
        self.body = body
        self.after = after

    def __iter__(self) -> Iterator[bytes]:
        yield self.body

    def close(self) -> None:
        self.after()


class Ceiling:
    def __init__(self, capture: dict[str, Any], database_url: str) -> None:
        self.database_url = database_url
        self.routes: list[tuple[re.Pattern[str], list[str]]] = []
        for scenario in capture["scenarios"].values():
            pattern = re.escape(scenario["path"]).replace(re.escape("{id}"), "([^/?]+)")
            self.routes.append((re.compile(f"^{pattern}$"), scenario["statements"]))
        self._conn: psycopg.Connection | None = None
        self._pid = 0

    def connection(self) -> psycopg.Connection:
        # Made on first use in each worker, after gunicorn forked it: a connection must not
        # be shared across a fork.
        if self._conn is None or self._conn.closed or self._pid != os.getpid():
            # The session settings the product's connections have (config/settings.py), so
            # that the same SQL gets the same plans.
            self._conn = psycopg.connect(
                self.database_url,
                autocommit=True,
                cursor_factory=psycopg.ClientCursor,
                options=session_options(os.environ),
            )
            self._pid = os.getpid()
        return self._conn

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        started = time.perf_counter()
        created_at = datetime.now(UTC)
        guid = uuid.uuid4()
        target = environ.get("PATH_INFO", "")
        if environ.get("QUERY_STRING"):
            target += "?" + environ["QUERY_STRING"]
        conn = self.connection()
        key = self.authenticate(conn, environ.get("HTTP_AUTHORIZATION", ""))
        if key is None:
            status, payload = 401, {"success": False, "errors": "The API key is not valid."}
        else:
            status, payload = self.answer(conn, target)
        payload["guid"] = str(guid)
        body = orjson.dumps(payload, default=_default)
        headers = [*JSON, ("Content-Length", str(len(body))), ("X-Request-Id", str(guid))]
        start_response(f"{status} {'OK' if status == 200 else 'Error'}", headers)

        def log() -> None:
            conn.execute(
                LOG_INSERT,
                (
                    guid,
                    key[1] if key else None,
                    key[0] if key else None,
                    key[2] if key else "",
                    environ.get("REQUEST_METHOD", ""),
                    target[:2000],
                    status,
                    round((time.perf_counter() - started) * 1000, 3),
                    "" if status == 200 else str(payload.get("errors", ""))[:2000],
                    created_at,
                ),
            )

        return _AfterSend(body, log)

    @staticmethod
    def authenticate(conn: psycopg.Connection, header: str) -> tuple[Any, Any, str] | None:
        """(key id, org id, prefix) of a valid, unrevoked key, else None."""
        match = AUTHORIZATION.match(header.strip())
        if match is None:
            return None
        row = conn.execute(KEY_LOOKUP, (match.group(1),)).fetchone()
        raw = header.strip().removeprefix("Bearer ")
        digest = hashlib.sha256(raw.encode()).hexdigest()
        if row is None or row[4] is not None or not hmac.compare_digest(row[3], digest):
            return None
        return row[0], row[1], match.group(1)

    def answer(self, conn: psycopg.Connection, target: str) -> tuple[int, dict[str, Any]]:
        for pattern, statements in self.routes:
            match = pattern.match(target)
            if match is None:
                continue
            if match.groups():
                record_id = match.group(1)
                if not UUID_TEXT.match(record_id):  # it goes into SQL text: only a UUID may
                    return 404, {"success": False, "errors": "Not found."}
                canonical = str(uuid.UUID(record_id))
                statements = [
                    sql.replace(ID, canonical).replace(ID_HEX, canonical.replace("-", ""))
                    for sql in statements
                ]
            try:
                return 200, {"success": True, "data": self.run(conn, statements)}
            except psycopg.Error as error:
                if conn.info.transaction_status != pq.TransactionStatus.IDLE:
                    conn.execute("ROLLBACK")
                return 500, {"success": False, "errors": f"{type(error).__name__}: {error}"}
        return 404, {"success": False, "errors": "Not found."}

    @staticmethod
    def run(conn: psycopg.Connection, statements: list[str]) -> list[list[tuple]]:
        results = []
        with conn.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
                if cursor.description is not None:
                    results.append(cursor.fetchall())
        return results


def from_environment() -> Ceiling:
    capture = json.loads(Path(os.environ["BENCH_CAPTURE"]).read_text())
    return Ceiling(capture, os.environ["DATABASE_URL"])


# gunicorn bench.ceiling:application (BENCH_CAPTURE and DATABASE_URL in the environment).
application = from_environment() if os.environ.get("BENCH_CAPTURE") else None
