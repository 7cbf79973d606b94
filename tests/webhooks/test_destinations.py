"""The SSRF guard: in production, endpoints are HTTPS on public addresses, checked when saved
and again when sending."""

import socket

import pytest

from tests.webhooks.conftest import run_worker
from webhooks.models import Attempt, Endpoint

pytestmark = pytest.mark.django_db

REAL_GETADDRINFO = socket.getaddrinfo


@pytest.fixture
def production_guard(settings):
    settings.WEBHOOK_REQUIRE_HTTPS = True
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False


@pytest.fixture
def dns(monkeypatch):
    """Names that resolve where a test says (the rest as usual)."""
    answers: dict[str, str] = {}

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]
        return REAL_GETADDRINFO(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


def create(api, url):
    return api.post("/api/webhooks", {"url": url, "events": ["*"]}).assert_envelope()


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://127.0.0.1/", "the URL must start with https://."),
        ("https://127.0.0.1/", "'127.0.0.1' resolves to 127.0.0.1, which is not a public address."),
        (
            "https://localhost/hooks",
            "'localhost' resolves to 127.0.0.1, which is not a public address.",
        ),
        ("https://[::1]/", "'::1' resolves to ::1, which is not a public address."),
        (
            "https://169.254.169.254/latest/meta-data",
            "'169.254.169.254' resolves to 169.254.169.254, which is not a public address.",
        ),
        ("https://10.1.2.3/", "'10.1.2.3' resolves to 10.1.2.3, which is not a public address."),
        (
            "https://[::ffff:192.168.0.1]/",
            "'::ffff:192.168.0.1' resolves to ::ffff:192.168.0.1, which is not a public address.",
        ),
        (
            "https://[64:ff9b::a9fe:a9fe]/",
            "'64:ff9b::a9fe:a9fe' resolves to 64:ff9b::a9fe:a9fe, which is not a public address.",
        ),
        (
            "https://[::ffff:0:a00:5]/",
            "'::ffff:0:a00:5' resolves to ::ffff:0:a00:5, which is not a public address.",
        ),
        ("https://[fec0::1]/", "'fec0::1' resolves to fec0::1, which is not a public address."),
        (
            "https://[2002:c0a8:101::1]/",
            "'2002:c0a8:101::1' resolves to 2002:c0a8:101::1, which is not a public address.",
        ),
        ("ftp://example.com/", "the URL must start with https://."),
        ("https://user:pw@example.com/", "credentials in the URL are not supported."),
        ("https:///nohost", "the URL has no host."),
        ("https://example.com:99999/", "this is not a valid URL."),
        ("https://no-such-host.invalid/", "the host 'no-such-host.invalid' does not resolve."),
    ],
)
def test_production_refuses_unsafe_urls(admin_api, production_guard, url, problem):
    response = create(admin_api, url)
    assert response.status == 422, response.body
    assert response.body["errors"] == f"Invalid value for 'url': {problem}"
    assert response.body["errorDetail"] == {"url": [problem]}
    assert Endpoint.objects.count() == 0


def test_a_hostname_that_resolves_to_a_private_address_is_refused(admin_api, production_guard, dns):
    dns["hooks.internal.example"] = "192.168.10.20"
    response = create(admin_api, "https://hooks.internal.example/in")
    assert response.status == 422
    assert response.body["errorDetail"] == {
        "url": [
            "'hooks.internal.example' resolves to 192.168.10.20, which is not a public address."
        ]
    }


def test_a_public_https_url_is_accepted(admin_api, production_guard, dns):
    dns["hooks.example.com"] = "93.184.216.34"
    assert create(admin_api, "https://hooks.example.com/in").status == 201


def test_the_guard_runs_again_at_send_time(schema, admin_api, write_api, production_guard, dns):
    """A name that resolved to a public address when saved and to a private one when sending
    (DNS rebinding) is refused without a connection."""
    dns["rebind.example.com"] = "93.184.216.34"
    assert create(admin_api, "https://rebind.example.com/in").status == 201
    dns["rebind.example.com"] = "127.0.0.1"
    write_api.post("/api/records/companies", {"name": "Acme"})
    run_worker()
    attempts = list(Attempt.objects.all())
    assert len(attempts) == 8
    assert {a.error for a in attempts} == {
        "Refused: 'rebind.example.com' resolves to 127.0.0.1, which is not a public address."
    }


def test_development_allows_local_receivers(admin_api, settings):
    settings.WEBHOOK_REQUIRE_HTTPS = False
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    assert create(admin_api, "http://127.0.0.1:8080/hooks").status == 201


def test_production_settings_turn_the_guard_on(tmp_path):
    """What DJANGO_ENV=production sets, read from a fresh process."""
    import json
    import subprocess
    import sys

    from tests.server import ROOT, production_env

    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps([settings.WEBHOOK_REQUIRE_HTTPS, settings.WEBHOOK_ALLOW_PRIVATE_URLS]))"
    )
    env = production_env(
        tmp_path, DJANGO_SETTINGS_MODULE="config.settings", ALLOWED_HOSTS="example.com"
    )
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [True, False]


def test_a_kept_connection_never_takes_a_send_past_the_guard(
    schema, admin_api, write_api, receiver, settings, dns
):
    """Connections are kept per checked address: one kept to 127.0.0.1 carries nothing once
    the guard refuses that address, nor once the name resolves elsewhere."""
    settings.WEBHOOK_RETRY_SCHEDULE = [0, 3600]
    port = receiver.url.split(":")[2].split("/")[0]
    dns["hooks.example.com"] = "127.0.0.1"
    assert create(admin_api, f"http://hooks.example.com:{port}/hooks").status == 201
    write_api.post("/api/records/companies", {"name": "Kept"})
    run_worker()
    assert len(receiver.received) == 1  # and its connection is kept alive

    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False  # the guard now refuses 127.0.0.1
    write_api.post("/api/records/companies", {"name": "Refused"})
    run_worker()
    refused = Attempt.objects.get(delivery__event__payload__data__name="Refused")
    assert refused.error == (
        "Refused: 'hooks.example.com' resolves to 127.0.0.1, which is not a public address."
    )

    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    dns["hooks.example.com"] = "127.0.0.2"  # where nothing listens on the receiver's port
    write_api.post("/api/records/companies", {"name": "Moved"})
    run_worker()
    moved = Attempt.objects.get(delivery__event__payload__data__name="Moved")
    assert moved.error.startswith("ConnectionRefusedError")
    assert len(receiver.received) == 1


def test_a_url_with_a_delete_character_is_refused(admin_api, settings):
    """DEL (0x7f) is a control character like those below 0x20, and not visible ASCII as
    the OpenAPI document's pattern for `url` says."""
    response = admin_api.post(
        "/api/webhooks", {"url": "http://127.0.0.1:9/a\x7fb", "events": ["record.*"]}
    ).assert_envelope()
    assert response.status == 422
    assert response.body["errorDetail"] == {
        "url": ["the URL contains spaces or control characters."]
    }
    assert not Endpoint.objects.exists()
