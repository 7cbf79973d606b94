"""Runs every curl example of docs/records.md, in order, against a real server."""

import json
import re
import shutil
import subprocess

import pytest

from tests.server import ROOT, child_env, free_port, manage, running_server

RECORDS_GUIDE = ROOT / "docs" / "records.md"
SYNC_GUIDE = ROOT / "docs" / "sync.md"


def examples(doc) -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", doc.read_text(), re.S)
    return [block for block in blocks if "export BASE=" not in block]


def run_examples(doc, tmp_path) -> str:
    """Every example of `doc`, in order, as one script against a fresh server; its output."""
    env = child_env(tmp_path)
    manage("migrate", "--noinput", env=env)
    slug = manage("create_org", "Docs", env=env).stdout.strip()
    key = manage("create_api_key", "--org", slug, "--scope", "admin", env=env).stdout.strip()
    port = free_port()
    script = "set -euo pipefail\n" + "\n".join(examples(doc))
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
    return result.stdout


@pytest.mark.skipif(shutil.which("curl") is None, reason="the examples are curl commands")
def test_every_example_in_the_records_guide_succeeds(tmp_path):
    assert "\n".join(examples(RECORDS_GUIDE)).count("curl ") >= 15
    output = run_examples(RECORDS_GUIDE, tmp_path)
    assert '"success":false' not in output
    assert output.count('"success":true') >= 15
    assert '"name":"Acme renewal"' in output
    assert '"aliases":["revenue"]' in output
    assert '"company":{"id":' in output
    assert '"created":false' in output and '"created":true' in output
    assert '"name":"Jane Roe"' in output


@pytest.mark.skipif(
    shutil.which("curl") is None or shutil.which("jq") is None,
    reason="the examples are curl commands that pick ids with jq",
)
def test_every_example_in_the_sync_guide_does_what_it_says(tmp_path):
    output = run_examples(SYNC_GUIDE, tmp_path)
    answers = _answers(output)
    assert re.findall(r"HTTP (\d{3})", output) == ["404", "422", "409", "409"]
    assert "lookup of crm-9999: HTTP 404" in output
    upserts = [answer for answer in answers if "created" in answer]
    assert [answer["created"] for answer in upserts[:3]] == [True, False, True]
    assert upserts[0]["data"]["meta"]["version"] == upserts[1]["data"]["meta"]["version"] == 1
    atomic_refusal = next(a for a in answers if a.get("errors", "").startswith("Operation 1"))
    assert "operations.1.fields.plan" in atomic_refusal["errorDetail"]
    per_item = next(a for a in answers if a.get("success") and _statuses(a) == [201, 422])
    assert per_item["data"][1]["errorDetail"] == {
        "fields.plan": ["'enterprise' is not one of the choices: free, pro."]
    }
    duplicate = next(a for a in answers if "existing_id" in (a.get("errorDetail") or {}))
    assert duplicate["errorDetail"]["fields.external_id"][0].startswith("Already used by")
    ambiguous = next(a for a in answers if "candidates" in (a.get("errorDetail") or {}))
    assert len(ambiguous["errorDetail"]["candidates"]) == 2
    merged = next(a for a in answers if "merge" in a)
    assert merged["merge"]["merged_id"] in ambiguous["errorDetail"]["candidates"]
    assert merged["merge"]["filled_fields"] == ["plan"]
    phone = next(
        a
        for a in answers
        if (a.get("data") or {}).get("object") == "contacts" and "phone" in a["data"]["fields"]
    )
    assert phone["data"]["name"] == "Jane Roe"
    # Idempotency-Key: the retry's answer is the first one, guid included.
    retried = [
        a
        for a in answers
        if isinstance(a.get("data"), dict) and a["data"].get("name") == "Retry Corp"
    ]
    assert retried[0] == retried[1] and retried[0]["data"]["meta"]["version"] == 1
    # If-Match with the ETag just read: the change applies.
    assert retried[2]["data"]["fields"]["mrr"] == 120
    assert retried[2]["data"]["meta"]["version"] == 2


def _statuses(answer) -> list[int]:
    data = answer.get("data")
    if not isinstance(data, list) or not data or "index" not in data[0]:
        return []
    return [result["status"] for result in data]


def _answers(output: str) -> list[dict]:
    """The JSON answers in the output, which curl prints back to back without newlines."""
    decoder = json.JSONDecoder()
    answers, position = [], 0
    while (start := output.find("{", position)) != -1:
        answer, position = decoder.raw_decode(output, start)
        answers.append(answer)
    return answers
