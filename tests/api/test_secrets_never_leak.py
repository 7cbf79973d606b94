"""Secrets never leak: a client creates and uses API keys, gets keys wrong, revokes them,
creates a webhook endpoint, rotates its secret, sends a test event, and makes errors whose
bodies echo what it sent. No raw API key and no plain webhook secret appears afterwards in any
log record (every logger, DEBUG, SQL included), any row of the request log, any stored
idempotent response or any error body. Only the key's non-secret prefix may appear.

That the webhook secret's column is encrypted at rest is tested in
tests/webhooks/test_secrets.py (test_the_database_holds_no_plain_secret)."""

import logging

import pytest
from django.db import connection

from api.models import IdempotentRequest, RequestLog
from tests.conftest import ApiClient, ApiResponse
from tests.webhooks.conftest import receiver, run_worker  # noqa: F401 - the endpoint's receiver

pytestmark = pytest.mark.django_db


class Secrets:
    """Every secret the API handed out, and every answer it gave that may not show one."""

    def __init__(self) -> None:
        self.values: list[str] = []
        self.answers: list[ApiResponse] = []

    def add_key(self, raw_key: str) -> str:
        # rb_<prefix hex>_<secret hex>: the whole key, and its secret part on its own.
        self.values += [raw_key, raw_key.rsplit("_", 1)[1]]
        return raw_key

    def add_webhook_secret(self, secret: str) -> str:
        assert secret.startswith("whsec_")
        self.values += [secret, secret.removeprefix("whsec_")]
        return secret

    def found_in(self, text: str) -> list[str]:
        return [value for value in self.values if value in text]


@pytest.fixture
def captured_logs(caplog):
    """Every record of every logger at DEBUG, the SQL of each query with its parameters too."""
    caplog.set_level(logging.DEBUG)
    # Loggers that do not propagate (Django's own) would not reach caplog's handler.
    closed = [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger) and not logger.propagate
    ]
    for logger in closed:
        logger.addHandler(caplog.handler)
    levels = {name: logging.getLogger(name).level for name in ("django", "django.db.backends")}
    for name in levels:
        logging.getLogger(name).setLevel(logging.DEBUG)
    connection.force_debug_cursor = True
    yield caplog
    connection.force_debug_cursor = False
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    for logger in closed:
        logger.removeHandler(caplog.handler)


def everything_kept(caplog) -> dict[str, str]:
    """Where a secret must not be: the logs, the request log, stored idempotent answers."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    logs = "\n".join(formatter.format(r) + repr(r.__dict__) for r in caplog.records)
    request_log = "\n".join(repr(row) for row in RequestLog.objects.values())
    idempotent = "\n".join(
        repr(row) + bytes(row["response_body"]).decode("utf-8", "replace")
        for row in IdempotentRequest.objects.values()
    )
    return {"logs": logs, "request log": request_log, "idempotent responses": idempotent}


def assert_nothing_leaked(secrets: Secrets, caplog) -> None:
    assert len(secrets.values) >= 4 and RequestLog.objects.exists()
    assert {"django.db.backends", "django.request"} <= {r.name for r in caplog.records}
    for place, text in everything_kept(caplog).items():
        assert not secrets.found_in(text), f"a secret is in the {place}"
    for answer in secrets.answers:
        text = answer.raw.content.decode()
        assert not secrets.found_in(text), (answer.status, text[:500])


def test_api_keys_never_leak(org, make_key, captured_logs):
    secrets = Secrets()
    admin_key = make_key(org, "admin")[1]
    admin = ApiClient(secrets.add_key(admin_key))

    created = admin.post("/api/keys", {"scope": "write", "name": "ci"}).assert_envelope()
    assert created.status == 201
    raw = secrets.add_key(created.data["key"])
    prefix = created.data["prefix"]
    assert raw.startswith(prefix) and prefix not in secrets.values
    api = ApiClient(raw)
    secrets.answers += [api.get("/api/me"), api.get("/api/keys")]

    wrong_secret = f"{prefix}_{'0' * 48}"
    one_char_off = raw[:-1] + ("0" if raw[-1] != "0" else "1")
    for header in [
        f"Bearer {wrong_secret}",
        f"Bearer {one_char_off}",
        f"Token {raw}",  # the wrong scheme, the right key
        f"Bearer {raw} {raw}",
        f"Bearer {raw}x",
        f"bearer{raw}",
    ]:
        secrets.answers.append(ApiClient().get("/api/me", HTTP_AUTHORIZATION=header))
    # Errors whose bodies echo input, sent with a good key.
    secrets.answers += [
        api.post("/api/records/contacts", {"fields": {"nope": 1}}),
        api.get("/api/records/contacts?sort=bogus&filter[nope]=1"),
        api.get("/api/objects/no_such_object"),
        admin.post("/api/keys", {"scope": "root", "name": "x"}),
        admin.post("/api/keys", {"scope": "read"}, HTTP_IDEMPOTENCY_KEY="retry-1"),
    ]

    revoked = admin.post(f"/api/keys/{created.data['id']}/revoke").assert_envelope()
    assert revoked.status == 200
    secrets.answers += [revoked, api.get("/api/me"), api.post("/api/records/contacts", {})]

    failures = [a.assert_envelope() for a in secrets.answers if a.status >= 400]
    assert {401, 400, 404} <= {a.status for a in failures}
    assert_nothing_leaked(secrets, captured_logs)
    # The prefix is what the request log keeps to tell keys apart.
    assert RequestLog.objects.filter(api_key_prefix=prefix).exists()


def test_webhook_secrets_never_leak(org, make_key, receiver, captured_logs, settings):  # noqa: F811
    settings.WEBHOOK_RETRY_SCHEDULE = [0.0] * 8  # the retry is due at once
    secrets = Secrets()
    admin = ApiClient(secrets.add_key(make_key(org, "admin")[1]))

    receiver.answer(500, 200)  # the test event fails once, then the retry gets through
    hook = {"url": receiver.url, "events": ["record.*"]}
    # The answers hold the secret, so no retry may replay them: an Idempotency-Key is refused.
    refused = admin.post("/api/webhooks", hook, HTTP_IDEMPOTENCY_KEY="create-endpoint")
    assert refused.assert_envelope().status == 400, refused.body
    created = admin.post("/api/webhooks", hook).assert_envelope()
    assert created.status == 201, created.body
    endpoint = created.data
    secrets.add_webhook_secret(endpoint["secret"])
    rotate = f"/api/webhooks/{endpoint['id']}/rotate-secret"
    refused = admin.post(rotate, HTTP_IDEMPOTENCY_KEY="rotate-once")
    assert refused.assert_envelope().status == 400, refused.body
    rotated = admin.post(rotate).assert_envelope()
    assert rotated.status == 200, rotated.body
    secrets.add_webhook_secret(rotated.data["secret"])

    tested = admin.post(f"/api/webhooks/{endpoint['id']}/test").assert_envelope()
    assert tested.status == 200, tested.body
    run_worker()
    assert len(receiver.received) == 2
    secrets.answers += [
        tested,
        admin.get(f"/api/webhooks/{endpoint['id']}"),
        admin.get("/api/webhooks"),
        admin.get(f"/api/webhooks/{endpoint['id']}/deliveries"),
        admin.get("/api/events"),
        admin.get("/api/requests"),
        # Errors whose bodies echo input.
        admin.request("PATCH", f"/api/webhooks/{endpoint['id']}", {"url": "not a url"}),
        admin.post("/api/webhooks", {"url": receiver.url, "events": ["nope.*"]}),
        admin.post(f"/api/webhooks/{endpoint['id']}/deliveries/nope/retry"),
    ]
    assert_nothing_leaked(secrets, captured_logs)
    # What a receiver gets is signed with the secret, never the secret itself.
    for message in receiver.received:
        assert not secrets.found_in(repr(message.headers) + str(message.body))
