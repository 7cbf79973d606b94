"""The production app server: gunicorn with config/gunicorn.py, as `make run` and production
start it, reached over HTTP as a client and a browser would."""

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.server import (
    child_env,
    fetch,
    free_port,
    manage,
    production_env,
    running_server,
    scratch_organization,
)

WORKERS = 3


def wait_for_log(log_path: Path, pattern: str, count: int = 1, flags: int = 0) -> str:
    """The log once `pattern` appears `count` times in it: gunicorn writes an access line after
    the answer is sent, and workers boot one after the other."""
    deadline = time.monotonic() + 30
    while True:
        text = log_path.read_text()
        if len(re.findall(pattern, text, flags)) >= count or time.monotonic() > deadline:
            return text
        time.sleep(0.1)


@pytest.fixture(scope="module")
def api_server(tmp_path_factory):
    """Gunicorn with WORKERS processes on a new database of DATABASE_URL's kind holding one
    organization: (base URL, an admin key, the server's log)."""
    with scratch_organization(tmp_path_factory.mktemp("gunicorn")) as (env, key):
        env = {**env, "WEB_CONCURRENCY": str(WORKERS)}
        port = free_port()
        with running_server(env, port, server="gunicorn") as log_path:
            yield f"http://127.0.0.1:{port}", key, log_path


def test_a_real_key_gets_its_organization_in_the_envelope(api_server):
    base, key, log_path = api_server
    status, headers, body = fetch(f"{base}/api/me", {"Authorization": f"Bearer {key}"})
    envelope = json.loads(body)
    assert status == 200
    assert envelope["success"] is True
    assert envelope["data"]["api_key"]["scope"] == "admin"
    assert headers["X-Request-Id"] == envelope["guid"]

    # WEB_CONCURRENCY worker processes, and an access line per request carrying its guid.
    log = wait_for_log(log_path, re.escape(envelope["guid"]))
    assert f'"GET /api/me HTTP/1.1" 200 {len(body)} ' in log
    log = wait_for_log(log_path, "Booting worker with pid", count=WORKERS)
    assert log.count("Booting worker with pid") == WORKERS
    line = next(line for line in log.splitlines() if envelope["guid"] in line)
    assert line.startswith("127.0.0.1 - - [")


def test_a_key_in_the_query_string_reaches_neither_the_access_log_nor_the_request_log(api_server):
    base, key, log_path = api_server
    status, _, body = fetch(
        f"{base}/api/requests?limit=1&api_key={key}", {"Authorization": f"Bearer {key}"}
    )
    guid = json.loads(body)["guid"]
    # The access line ends with the guid; the application's own line for the request (a
    # warning for the 400) may come first.
    log = wait_for_log(log_path, re.escape(guid) + "$", flags=re.MULTILINE)
    assert f'"GET /api/requests HTTP/1.1" {status} ' in log
    assert key not in log
    deadline = time.monotonic() + 5  # the log row is written once the answer was sent
    while True:
        status, _, body = fetch(f"{base}/api/requests/{guid}", {"Authorization": f"Bearer {key}"})
        if status == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert status == 200, body
    assert json.loads(body)["data"]["path"] == "/api/requests?limit=1&api_key=REDACTED"


def test_concurrent_writes_through_several_workers_all_succeed(api_server):
    """On SQLite too: writers in several processes wait their turn for the database lock
    (immediate transactions, a busy timeout) instead of failing with "database is locked"."""
    base, key, log_path = api_server
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def create_contact(n: int) -> int:
        body = json.dumps({"fields": {"email": f"writer-{n}@example.com"}}).encode()
        status, _, _ = fetch(f"{base}/api/records/contacts", headers, method="POST", data=body)
        return status

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(create_contact, range(40)))
    assert statuses == [201] * 40

    status, _, body = fetch(f"{base}/api/records/contacts?limit=100", headers)
    assert status == 200
    assert json.loads(body)["pagination"]["total"] == 40
    assert "locked" not in log_path.read_text()


def static_urls(page: bytes) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', page.decode())


@pytest.mark.parametrize("environment", ["development", "production"])
def test_admin_and_api_docs_pages_load_their_css_and_scripts(tmp_path, environment):
    """`make run` (development: DEBUG, nothing collected) and production (after collectstatic)
    both serve the admin's and Swagger UI's files through WhiteNoise."""
    if environment == "production":
        env = production_env(
            tmp_path,
            ALLOWED_HOSTS="127.0.0.1",
            SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO=https",
        )
        manage("collectstatic", "--noinput", env=env)
        headers = {"X-Forwarded-Proto": "https"}  # from the proxy that terminates TLS
    else:
        env = child_env(tmp_path)
        headers = {}
    port = free_port()
    with running_server(env, port, server="gunicorn"):
        base = f"http://127.0.0.1:{port}"
        for page in ("/admin/login/", "/api/docs", "/api/redoc"):
            status, _, body = fetch(base + page, headers)
            assert status == 200, page
            urls = static_urls(body)
            assert urls, page
            for url in urls:
                status, answer_headers, content = fetch(base + url, headers)
                assert status == 200, url
                assert content, url
                if url.endswith(".css"):
                    assert answer_headers["Content-Type"].startswith("text/css"), url
                elif url.endswith(".js"):
                    assert "javascript" in answer_headers["Content-Type"], url


def test_a_forwarded_proto_header_is_not_believed_unless_settings_say_so(tmp_path):
    """Without SECURE_PROXY_SSL_HEADER, a client's own `X-Forwarded-Proto: https` over plain
    HTTP does not pass the API's HTTPS-only rule, even from a local peer."""
    env = production_env(
        tmp_path,
        ALLOWED_HOSTS="127.0.0.1",
    )
    manage("migrate", "--noinput", env=env)
    port = free_port()
    with running_server(env, port, server="gunicorn"):
        status, _, body = fetch(f"http://127.0.0.1:{port}/api/me", {"X-Forwarded-Proto": "https"})
    assert status == 403
    assert json.loads(body)["errors"].startswith("This API is served over HTTPS only")
