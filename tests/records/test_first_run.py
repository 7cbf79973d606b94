"""What `make run` does on a fresh machine: migrate, bootstrap the demo, serve. The curl line it
prints must answer 200 with `"success": true`."""

import json
import shlex
import shutil
import subprocess

import pytest

from tests.server import child_env, fetch, free_port, manage, running_server


def curl_line(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip().startswith("curl ")]
    assert len(lines) == 1, output
    return lines[0]


def run_curl(line: str) -> dict:
    """Runs the printed line with curl when the machine has it, else the same request by hand."""
    args = shlex.split(line)
    if shutil.which("curl"):
        result = subprocess.run(  # noqa: S603 - the line our command printed
            [*args, "--silent", "--noproxy", "*", "--write-out", "\n%{http_code}"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        body, _, status = result.stdout.rpartition("\n")
        return {"status": int(status), "body": json.loads(body)}
    header = args[args.index("-H") + 1]
    name, _, value = header.partition(": ")
    status, _, body = fetch(args[-1], {name: value})
    return {"status": status, "body": json.loads(body)}


@pytest.fixture
def fresh(tmp_path):
    env = child_env(tmp_path)
    manage("migrate", "--noinput", env=env)
    return env


def test_printed_curl_line_returns_200_with_success(fresh):
    port = free_port()
    output = manage("bootstrap_demo", "--port", str(port), env=fresh).stdout
    assert "user 'admin', password '" in output
    line = curl_line(output)
    assert f"http://127.0.0.1:{port}/api/me" in line
    with running_server(fresh, port) as log_path:
        answer = run_curl(line)
        assert answer["status"] == 200
        assert answer["body"]["success"] is True
        assert answer["body"]["data"]["organization"]["slug"] == "demo"
        assert answer["body"]["data"]["api_key"]["scope"] == "admin"

        # The demo organization has something real to show.
        key = line.split("Bearer ")[1].split("'")[0]
        status, _, body = fetch(
            f"http://127.0.0.1:{port}/api/records/deals?sort=name",
            {"Authorization": f"Bearer {key}"},
        )
        deals = json.loads(body)["data"]
        assert status == 200 and len(deals) == 4
        assert deals[0]["fields"]["company"]["object"] == "companies"

        # Log lines carry the request guid.
        status, headers, _ = fetch(f"http://127.0.0.1:{port}/api/no-such-thing")
        assert status == 404
        guid = headers["X-Request-Id"]
    assert f"[{guid}] django.request: Not Found: /api/no-such-thing" in log_path.read_text()


def test_second_run_prints_the_same_working_key(fresh):
    first = curl_line(manage("bootstrap_demo", env=fresh).stdout)
    second = curl_line(manage("bootstrap_demo", env=fresh).stdout)
    assert first == second
