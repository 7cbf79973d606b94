"""The product and the ceiling under gunicorn, and the product's own commands (migrate, an
organization and its key, the background worker), each in a child process."""

import base64
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench import databases, processes

PRODUCT_APP = "config.wsgi:application"
CEILING_APP = "bench.ceiling:application"
# Generated once per run: production settings refuse to start without one.
_SECRET = secrets.token_urlsafe(40)
# A Fernet key (32 random bytes, URL-safe base64) for webhook secrets at rest, which
# production requires.
_WEBHOOK_SECRET_KEY = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def product_env(database: str, var_dir: Path) -> dict[str, str]:
    """The product as production runs it (no DEBUG, no query log), minus HTTPS (loopback),
    throttling (the load would trip it) and info logging (noise on the terminal)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(
        {
            "DATABASE_URL": databases.url_for(database),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_ENV": "production",
            "DJANGO_SECRET_KEY": _SECRET,
            "WEBHOOK_SECRET_KEYS": _WEBHOOK_SECRET_KEY,
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "API_REQUIRE_HTTPS": "false",
            "API_THROTTLE_RATE": "1000000000/minute",
            "LOG_LEVEL": "WARNING",
            "VAR_DIR": str(var_dir),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def manage(*args: str, env: dict[str, str], log: Path, timeout: float = 300) -> str:
    code, output = processes.run(
        processes.python("manage.py", *args), env=env, log=log, timeout=timeout
    )
    if code != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed ({code}):\n{output[-2000:]}")
    return output


def prepare(database: str, env: dict[str, str], log: Path) -> str:
    """A new database, migrated, with one organization and an admin key: returns the key."""
    databases.recreate(database)
    manage("migrate", "--noinput", env=env, log=log)
    slug = _last_line(manage("create_org", "Bench", env=env, log=log))
    return _last_line(manage("create_api_key", "--org", slug, "--scope", "admin", env=env, log=log))


def _last_line(output: str) -> str:
    return output.strip().splitlines()[-1].strip()


def drain_tasks(env: dict[str, str], log: Path, *, timeout: float) -> bool:
    """Runs the product's background worker until no task is left or `timeout` passes, so the
    structures the design builds later (indexes, say) exist before anything is measured.
    True when the queue emptied in time."""
    code, _ = processes.run(
        processes.python("manage.py", "db_worker", "--batch", "--no-startup-delay", "--no-reload"),
        env=env,
        log=log,
        timeout=timeout,
    )
    return code == 0


@contextmanager
def gunicorn(app: str, *, env: dict[str, str], workers: int, log: Path) -> Iterator[int]:
    """Serves `app` with `workers` sync workers on a free loopback port, until the block ends;
    yields the port. The product's production settings (config/gunicorn.py) for the product and
    the ceiling alike, access log included."""
    port = processes.free_port()
    process = processes.start(
        processes.python(
            "-m",
            "gunicorn",
            "-c",
            "config/gunicorn.py",
            app,
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "120",
            "--graceful-timeout",
            "5",
            "--log-level",
            "warning",
        ),
        env=env,
        log=log,
    )
    try:
        processes.wait_for_port(port, process, timeout=60)
        yield port
    finally:
        processes.stop(process)
