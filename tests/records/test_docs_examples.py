"""Runs every curl example of docs/records.md, in order, against a real server."""

import re
import shutil
import subprocess

import pytest

from tests.server import ROOT, child_env, free_port, manage, running_server

DOC = ROOT / "docs" / "records.md"


def examples() -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", DOC.read_text(), re.S)
    return [block for block in blocks if "export BASE=" not in block]


@pytest.mark.skipif(shutil.which("curl") is None, reason="the examples are curl commands")
def test_every_example_in_the_records_guide_succeeds(tmp_path):
    env = child_env(tmp_path)
    manage("migrate", "--noinput", env=env)
    slug = manage("create_org", "Docs", env=env).stdout.strip()
    key = manage("create_api_key", "--org", slug, "--scope", "admin", env=env).stdout.strip()
    port = free_port()
    script = "set -euo pipefail\n" + "\n".join(examples())
    assert script.count("curl ") >= 15
    with running_server(env, port):
        # The documented commands, run as a reader would run them.
        result = subprocess.run(  # noqa: S603
            ["bash", "-c", script],  # noqa: S607
            env={
                **env,
                "BASE": f"http://127.0.0.1:{port}",
                "KEY": key,
                "NO_PROXY": "*",
                "no_proxy": "*",
            },
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert '"success":false' not in result.stdout
    assert result.stdout.count('"success":true') >= 15
    assert '"name":"Acme renewal"' in result.stdout
    assert '"aliases":["revenue"]' in result.stdout
    assert '"company":{"id":' in result.stdout
    assert '"created":false' in result.stdout and '"created":true' in result.stdout
    assert '"name":"Jane Roe"' in result.stdout
