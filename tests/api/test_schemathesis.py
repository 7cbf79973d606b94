"""Schemathesis against the live OpenAPI document (GET /api/schema, served by the app under
test) with a real admin key: every built-in check, positive and negative data, and a stateful
run over the links schemathesis infers between the operations. At least MIN_CASES requests
are generated in all, counted as they are sent, and none may fail a check.

The app is called in process through its WSGI handler, on the test database, so the run works
alike on SQLite and PostgreSQL. No generated webhook leaves the machine: every send is
redirected to a closed port on 127.0.0.1 (`closed_webhook_port`).

A static document cannot say which custom fields an organization's objects have, so positive
cases are completed with what the test organization really has (`fuzz_world`): its objects'
names, record ids, keys and endpoints in path parameters, and `fields` values valid for the
object. Negative cases are sent as generated."""

import dataclasses
import io
import json
import socket
from urllib.parse import urlsplit, urlunsplit

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode

from tests.api.fuzz_world import build_world
from webhooks import sending

pytestmark = pytest.mark.django_db

# The bar for the whole run; the per-operation budgets below add up to well over it.
MIN_CASES = 1000
EXAMPLES_PER_OPERATION = 25


def _document() -> dict:
    """The OpenAPI document as GET /api/schema serves it (test_the_document_is_the_served_one
    checks that it is). Built at collection, when no database may be used, so not through
    HTTP: the request log and the statement timeout of a request both use the database."""
    out = io.StringIO()
    call_command("spectacular", "--format", "openapi-json", stdout=out)
    return json.loads(out.getvalue())


schema = schemathesis.openapi.from_dict(_document())
schema.app = get_wsgi_application()
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    max_examples=EXAMPLES_PER_OPERATION,
    # The same cases on every run: CI is green or red for a reason, and a failure replays.
    deterministic=True,
    # The API refuses NUL in any input, by design and documented (docs/api.md: a 400): a NUL
    # in a "valid" string would be a positive case the document itself rules out.
    allow_x00=False,
    # Requests carry the test organization's real key (`fuzzed.headers`), not a generated
    # token; the ignored_auth check still sends each operation without it and with a wrong
    # one, and expects a 401.
    with_security_parameters=False,
)

# Cases sent, by operation label; checked against MIN_CASES by the last test of the module.
sent: dict[str, int] = {}


@schema.hook
def after_call(context, case, response):
    label = f"{case.method.upper()} {case.operation.path}"
    sent[label] = sent.get(label, 0) + 1


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
    yield world
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
def test_every_operation(case, fuzzed):
    if case.meta is not None and case.meta.generation.mode.is_positive:
        fuzzed.complete(case)
    case.call_and_validate(headers=fuzzed.headers)


def test_the_document_is_the_served_one():
    response = Client().get("/api/schema?format=json")
    assert response.status_code == 200
    assert json.loads(response.content) == schema.raw_schema


def test_at_least_min_cases_were_sent():
    total = sum(sent.values())
    print(f"schemathesis sent {total} cases to {len(sent)} operations")  # shown with -s
    assert total >= MIN_CASES, f"only {total} cases: {sent}"
