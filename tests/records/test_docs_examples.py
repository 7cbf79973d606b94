"""Runs the curl examples of docs/records.md, docs/sync.md and docs/webhooks.md, in that order,
as one reader would: against a fresh `make run` database (the demo organization and its
objects present), with the key `make run` prints. Each command's status, as the server's
request log recorded it, must be the one the docs give in the comment after it (`# → 201`)."""

import json
import re
import shutil
import sqlite3
import subprocess
import time

import pytest

from tests.records.test_first_run import curl_line
from tests.server import ROOT, child_env, free_port, manage, running_server

GUIDES = [ROOT / "docs" / name for name in ("records.md", "sync.md", "webhooks.md")]
DOCUMENTED_STATUS = re.compile(r"^# → (.*)$", re.M)

pytestmark = pytest.mark.skipif(
    shutil.which("curl") is None or shutil.which("jq") is None,
    reason="the examples are curl commands that pick ids with jq",
)


def examples(doc) -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", doc.read_text(), re.S)
    return [block for block in blocks if "export BASE=" not in block]


def documented_statuses(doc) -> list[int]:
    """Every status the guide gives, in order: the numbers of each `# → …` comment."""
    return [
        int(code)
        for block in examples(doc)
        for line in DOCUMENTED_STATUS.findall(block)
        for code in re.findall(r"\b[1-5]\d\d\b", line)
    ]


class Run:
    """The three guides' output (by guide) and the statuses the server logged, in order."""

    def __init__(self, outputs: dict[str, str], statuses: list[tuple[str, str, int]]) -> None:
        self.outputs = outputs
        self.statuses = statuses


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Run:
    var_dir = tmp_path_factory.mktemp("docs")
    env = child_env(var_dir)
    port = free_port()
    # What `make run` does before it serves: migrate, then the demo and its key.
    manage("migrate", "--noinput", env=env)
    line = curl_line(manage("bootstrap_demo", "--port", str(port), env=env).stdout)
    key = line.split("Bearer ")[1].split("'")[0]
    parts = ["set -euo pipefail"]
    for guide in GUIDES:
        parts.append(f"echo; echo '=== {guide.name} ==='")  # curl ends without a newline
        parts.extend(examples(guide))
    with running_server(env, port):
        result = subprocess.run(  # noqa: S603
            ["bash", "-c", "\n".join(parts)],  # noqa: S607
            env={
                **env,
                "BASE": f"http://127.0.0.1:{port}",
                "KEY": key,
                "NO_PROXY": "*",
                "no_proxy": "*",
            },
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        statuses = _logged_statuses(var_dir / "db.sqlite3")
    sections = re.split(r"^=== (\S+) ===$", result.stdout, flags=re.M)[1:]
    return Run(dict(zip(sections[::2], sections[1::2], strict=True)), statuses)


def _logged_statuses(database) -> list[tuple[str, str, int]]:
    """The demo organization's requests as the server logged them, in the order they came.
    Each row is written once its answer is sent: wait until no more arrive."""
    query = (
        "SELECT method, path, status FROM api_requestlog WHERE org_id = "
        "(SELECT id FROM accounts_organization WHERE slug = 'demo') ORDER BY created_at"
    )
    rows: list = []
    for _ in range(50):
        with sqlite3.connect(database) as connection:
            found = connection.execute(query).fetchall()
        if found and found == rows:
            return [(method, path, status) for method, path, status in found]
        rows = found
        time.sleep(0.2)
    raise AssertionError("the request log kept growing")


def test_every_status_is_the_one_the_docs_give(run):
    expected = [code for guide in GUIDES for code in documented_statuses(guide)]
    assert len(expected) >= 55
    got = [status for _, _, status in run.statuses]
    mismatches = [
        (index, request, want)
        for index, (request, want) in enumerate(zip(run.statuses, expected, strict=False))
        if request[2] != want
    ]
    assert len(got) == len(expected) and not mismatches, (len(got), len(expected), mismatches)


def test_the_records_guide_does_what_it_says(run):
    output = run.outputs["records.md"]
    assert '"name":"Acme restock"' in output
    assert '"aliases":["revenue"]' in output
    assert '"supplier":{"id":' in output
    assert '"buyer":{"id":' in output
    assert '"created":false' in output and '"created":true' in output
    assert '"name":"Jane Roe"' in output
    assert '{"id":"orders","deleted":true}' in output


def test_the_sync_guide_does_what_it_says(run):
    output = run.outputs["sync.md"]
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
    assert phone["data"]["name"] == "Sam Roe"
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
