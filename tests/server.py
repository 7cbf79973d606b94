"""Runs manage.py in a child process against its own database, as a user would: the tests' and
the benchmark scripts' helpers."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

ROOT = Path(__file__).resolve().parent.parent
# A Fernet key for child processes in production mode, which require WEBHOOK_SECRET_KEYS.
PRODUCTION_WEBHOOK_KEY = "cHJvZC10ZXN0LXdlYmhvb2stc2VjcmV0LWtleS0zMmI="
PRODUCTION_SECRET_KEY = "prod-test-" + "k3y!x9" * 10


def child_env(var_dir: Path, **overrides: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(
        {
            "DATABASE_URL": f"sqlite:///{var_dir / 'db.sqlite3'}",
            "VAR_DIR": str(var_dir),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(overrides)
    return env


def production_env(var_dir: Path, **overrides: str) -> dict[str, str]:
    """child_env in production mode, with the secrets production requires."""
    return child_env(
        var_dir,
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY=PRODUCTION_SECRET_KEY,
        WEBHOOK_SECRET_KEYS=PRODUCTION_WEBHOOK_KEY,
        **overrides,
    )


def manage(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=check,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_command(server: Literal["runserver", "gunicorn"], port: int) -> list[str]:
    """Django's development server, or gunicorn with the production config (as `make run`)."""
    if server == "gunicorn":
        bind = f"127.0.0.1:{port}"
        return [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "--bind", bind]
    return [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]


@contextmanager
def running_server(
    env: dict[str, str], port: int, *, server: Literal["runserver", "gunicorn"] = "runserver"
) -> Iterator[Path]:
    """Serves on 127.0.0.1:port until the block ends; yields the path of the server's log."""
    log_path = Path(env["VAR_DIR"]) / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(  # noqa: S603 - our own manage.py or gunicorn
            server_command(server, port),
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            # Until the application answers: gunicorn accepts connections as soon as it has
            # bound, before its workers have loaded the project.
            deadline = time.monotonic() + 60
            while True:
                try:
                    fetch(f"http://127.0.0.1:{port}/")
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(
                            f"server did not start: {log_path.read_text()}"
                        ) from None
                    time.sleep(0.1)
            yield log_path
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


# Straight to the loopback server: no proxy from the environment, no redirect followed.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)


def fetch(
    url: str,
    headers: dict[str, str] | None = None,
    *,
    method: str = "GET",
    data: bytes | None = None,
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(  # noqa: S310 - loopback only
        url, headers=headers or {}, method=method, data=data
    )
    try:
        with _opener.open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def scratch_database(var_dir: Path) -> tuple[str, Callable[[], None]]:
    """A URL for a new, empty database of DATABASE_URL's kind (SQLite in `var_dir` when it is
    not PostgreSQL), and how to drop it."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return f"sqlite:///{var_dir / 'scratch.sqlite3'}", lambda: None
    import psycopg

    base, _, configured = url.rpartition("/")
    # Through the server's maintenance database, as Django does for its test database: the one
    # DATABASE_URL names need not exist (the test suite only creates test_<name>).
    maintenance = f"{base}/postgres"
    # Named after DATABASE_URL's database, so that checkouts sharing a server can tell theirs.
    name = f"{configured.partition('?')[0][:40]}_scratch_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")

    def drop() -> None:
        with psycopg.connect(maintenance, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    return f"{base}/{name}", drop


@contextmanager
def scratch_organization(var_dir: Path, *, scope: str = "admin") -> Iterator[tuple[dict, str]]:
    """A new database of DATABASE_URL's kind, migrated, with one organization and a key of
    `scope`: yields (the environment for child processes, the raw key); drops it after."""
    url, drop = scratch_database(var_dir)
    try:
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "VAR_DIR": str(var_dir),
            "API_THROTTLE_RATE": "100000000/minute",
            "LOG_LEVEL": "WARNING",
        }
        manage("migrate", "--noinput", env=env)
        slug = manage("create_org", "Bench", env=env).stdout.strip()
        key = manage("create_api_key", "--org", slug, "--scope", scope, env=env).stdout.strip()
        yield env, key
    finally:
        drop()


WORKER_COMMAND = [sys.executable, "manage.py", "db_worker", "--no-startup-delay", "--no-reload"]


def start_db_worker(env: dict[str, str], log_path: Path) -> subprocess.Popen:
    """A `manage.py db_worker` process polling every 0.1 s, its output in `log_path`."""
    return subprocess.Popen(  # noqa: S603 - our own manage.py
        [*WORKER_COMMAND, "--interval", "0.1"],
        cwd=ROOT,
        env=env,
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
    )
