"""Schemathesis against the live OpenAPI document (the one GET /api/schema serves) with a real
admin key: every built-in check, positive and negative data for every operation, then a
stateful run along the links the document declares (a created record's id into its routes).
At least MIN_CASES generated cases in all, counted as they are sent; none may fail a check.

The app is called in process through its WSGI handler, on the test database, so the run works
alike on SQLite and PostgreSQL. No generated webhook leaves the machine: every send is
redirected to a closed port on 127.0.0.1 (`closed_webhook_port`).

A static document cannot say which custom fields an organization's objects have, which ids
exist or which version a record is at, so positive cases are completed with what the test
organization really has (tests/api/fuzz_world.py). Negative cases are sent as generated."""

import dataclasses
import io
import json
import socket
from urllib.parse import urlsplit, urlunsplit

import pytest
import schemathesis
from django.core.cache import cache
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode

from records.schema_cache import clear_schema_cache
from tests.api.fuzz_world import build_world
from webhooks import sending

pytestmark = pytest.mark.django_db

# The bar for the whole run; the per-operation budgets below add up to well over it.
MIN_CASES = 1000
EXAMPLES_PER_OPERATION = 25
STATEFUL_SCENARIOS = 40
STATEFUL_STEPS = 12


def _document() -> dict:
    """The OpenAPI document as GET /api/schema serves it (test_the_document_is_the_served_one
    checks that it is). Built at collection, when no database may be used, so not through
    HTTP: the request log and the statement timeout of a request both use the database."""
    out = io.StringIO()
    call_command("spectacular", "--format", "openapi-json", stdout=out)
    return json.loads(out.getvalue())


schema = schemathesis.openapi.from_dict(_document())
schema.app = get_wsgi_application()
# The stateful run follows the links the document declares (api.schema.link_created_resources).
# Schemathesis would add links it guesses from names, and it guesses wrong here: the
# envelope's top-level `guid` (the request's id) for a created key's `key_id`.
schema.config.phases.stateful.inference.algorithms = []
# Every built-in check, max_response_time included (it needs a bound: the statement timeout
# of API reads on PostgreSQL, API_STATEMENT_TIMEOUT_SECONDS' default).
schema.config.checks.update(included_check_names=["all"], max_response_time=15.0)
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    max_examples=EXAMPLES_PER_OPERATION,
    # The same cases on every run: CI is green or red for a reason, and a failure replays.
    deterministic=True,
    # The API refuses NUL in any input, by design and documented (docs/api.md: a 400): a NUL
    # in a "valid" string would be a positive case the document itself rules out.
    allow_x00=False,
    # Requests carry the test organization's real key (the `fuzzed` fixture), not a
    # generated token.
    with_security_parameters=False,
)

# Generated cases sent, by operation, and stateful steps: checked by the module's last test.
# (Requests the checks send on their own, without a key or with a wrong one, say, are not
# counted.)
sent: dict[str, int] = {}
stateful_steps: list[tuple[str, str, int]] = []  # method, path, status


@pytest.fixture
def closed_webhook_port(monkeypatch):
    """Every webhook send goes to 127.0.0.1 on a port bound but never listened on, so the
    connection is refused at once, whatever host the generated URL names (no DNS either)."""
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    port = holder.getsockname()[1]
    real_resolve = sending.resolve

    def resolve_locally(url):
        destination = real_resolve(_on_loopback(url))
        return dataclasses.replace(destination, host="127.0.0.1", port=port, address="127.0.0.1")

    monkeypatch.setattr(sending, "resolve", resolve_locally)
    yield port
    holder.close()


def _on_loopback(url: str) -> str:
    """The URL with its host replaced by 127.0.0.1, checked as the product checks it."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url  # refused by the product's own check
    netloc = "127.0.0.1" if port is None else f"127.0.0.1:{port}"
    return urlunsplit(parts._replace(netloc=netloc)) if parts.hostname else url


@pytest.fixture
def fuzzed(org, make_key, closed_webhook_port):
    """The test organization's world, and the WSGI app kept on the test's connection."""
    world = build_world(org, make_key)
    # Django's test client does the same: closing connections at the end of every request
    # would close the test's transaction (and SQLite's in-memory database) with it. After
    # build_world: its test client connects them again when it is done.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    # The key as configured, not generated: every phase sends it, and the ignored_auth check
    # knows it for a real one (it then sends each operation without it and with a wrong one).
    schema.config.update(headers=world.headers)
    yield world
    schema.config.headers = {}
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
def test_every_operation(case, fuzzed):
    if case.meta is not None and case.meta.generation.mode.is_positive:
        fuzzed.complete(case)
    label = f"{case.method} {case.operation.path}"
    sent[label] = sent.get(label, 0) + 1
    case.call_and_validate()


def test_stateful_links(fuzzed):
    """Sequences of calls along the document's links: a created record's id into its
    retrieve, update, archive, merge and delete, a created key's into its revoke, and so on."""
    machine = schema.as_state_machine()
    links = [name for name in dir(machine) if name.startswith(("GET_", "POST_", "PATCH_"))]
    assert links, "no links between operations were found"

    class Fuzzed(machine):
        # Each scenario starts from the same organization, as hypothesis needs to replay one:
        # its writes are rolled back at the end (a savepoint in the test's transaction), and
        # what processes keep beside the database (object schemas, throttle windows) cleared.
        def setup(self):
            self.scenario = transaction.atomic()
            self.scenario.__enter__()
            # Records merged into another: merge deletes them, which the document cannot
            # say the way a DELETE says it, so a 404 for one afterwards is right.
            self.merged_away: set[str] = set()

        def teardown(self):
            transaction.set_rollback(True)
            self.scenario.__exit__(None, None, None)
            clear_schema_cache()
            cache.clear()

        def get_call_kwargs(self, case):
            return {"headers": fuzzed.headers}  # the configured headers are not sent here

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            record_id = (case.path_parameters or {}).get("record_id")
            if response.status_code == 404 and record_id in self.merged_away:
                return
            # As the machine does, plus the headers sent: the ignored_auth check then knows
            # the key for the real one rather than a generated token.
            case.validate_response(
                response,
                additional_checks=additional_checks,
                headers=fuzzed.headers,
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

        def before_call(self, case):
            # The stateful phase generates a token for the security scheme even with
            # with_security_parameters off; the configured key is what is sent.
            headers = case.headers or {}
            case.headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
            if case.meta is not None and case.meta.generation.mode.is_positive:
                fuzzed.complete(case, addresses=False)

        def after_call(self, response, case):
            super().after_call(response, case)
            if case.operation.path.endswith("/merge") and response.status_code == 200:
                self.merged_away.add(response.json()["merge"]["merged_id"])
                self.merged_away.add(str((case.body or {}).get("from")))  # or its email
            stateful_steps.append((case.method, case.operation.path, response.status_code))

    Fuzzed.run(
        settings=settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=STATEFUL_STEPS,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
    )


def test_the_document_is_the_served_one():
    response = Client().get("/api/schema?format=json")
    assert response.status_code == 200
    assert json.loads(response.content) == schema.raw_schema


def test_at_least_min_cases_were_sent():
    if not sent or not stateful_steps:
        pytest.skip("run with the tests above: it counts what they sent")
    total = sum(sent.values()) + len(stateful_steps)
    print(f"schemathesis sent {total} cases ({len(stateful_steps)} stateful steps)")  # -s shows it
    assert total >= MIN_CASES, f"only {total} cases: {sent}"
    # Steps that reached something the run made or found: a 2xx on a route with an id.
    followed = [step for step in stateful_steps if "{" in step[1] and step[2] < 300]
    assert len(followed) >= STATEFUL_SCENARIOS, f"few stateful steps got through: {followed}"
