"""The benchmark's own PostgreSQL databases: created, migrated, cloned and dropped here, on
DATABASE_URL's server (its database name is not used, so `test` is never touched)."""

import os
import time
from urllib.parse import urlsplit, urlunsplit

import psycopg

from bench.config import DEFAULT_SERVER

BASE = "recordbase_bench_a"  # the base data
SCALED = "recordbase_bench_b"  # the base data plus many tenants
OURS = (BASE, SCALED)
TASKS_TABLE = "django_tasks_database_dbtaskresult"


def server_url() -> str:
    url = os.environ.get("DATABASE_URL", "").strip() or DEFAULT_SERVER
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit(
            "make bench needs PostgreSQL: set DATABASE_URL to postgres://user@host:port/any "
            f"(its database name is not used), not {url!r}."
        )
    return url


def url_for(name: str) -> str:
    parts = urlsplit(server_url())
    return urlunsplit(parts._replace(path=f"/{name}"))


def _admin() -> psycopg.Connection:
    # The maintenance database: creating or dropping a database needs a connection elsewhere.
    return psycopg.connect(url_for("postgres"), autocommit=True)


def _checked(name: str) -> str:
    if name not in OURS:
        raise ValueError(f"{name!r} is not one of the benchmark's databases")
    return name


def recreate(name: str) -> None:
    with _admin() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {_checked(name)} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {_checked(name)}")


def clone(source: str, target: str) -> None:
    """A copy of `source` as `target`, file by file: the same rows, indexes and statistics.
    Nothing may be connected to `source` meanwhile."""
    with _admin() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {_checked(target)} WITH (FORCE)")
        conn.execute(
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{_checked(source)}' AND pid <> pg_backend_pid()"
        )
        conn.execute(f"CREATE DATABASE {_checked(target)} TEMPLATE {_checked(source)}")


def drop(name: str) -> None:
    with _admin() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {_checked(name)} WITH (FORCE)")


def check_server() -> str:
    """The server's version; stops with what to do when it cannot be reached."""
    try:
        with _admin() as conn:
            return conn.execute("SHOW server_version").fetchone()[0]
    except psycopg.Error as error:
        where = urlsplit(server_url())
        raise SystemExit(
            f"make bench needs PostgreSQL at {where.hostname}:{where.port or 5432} "
            f"({str(error).strip().splitlines()[0]}): start it, or point DATABASE_URL at one "
            "whose user may create databases."
        ) from None


def pending_tasks(name: str) -> dict[str, int]:
    """Background tasks by status, as the database task backend stores them (empty when the
    product uses another backend)."""
    with psycopg.connect(url_for(name), autocommit=True) as conn:
        if conn.execute("SELECT to_regclass(%s)", (TASKS_TABLE,)).fetchone()[0] is None:
            return {}
        rows = conn.execute(
            f"SELECT status, count(*) FROM {TASKS_TABLE} GROUP BY status"
        ).fetchall()
        return {status: count for status, count in rows}


def vacuum_analyze(name: str) -> float:
    """VACUUM ANALYZE of the whole database, as autovacuum would do in time after a bulk load:
    statistics for the planner and a visibility map for index-only scans. Returns seconds."""
    started = time.perf_counter()
    with psycopg.connect(url_for(name), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return time.perf_counter() - started
