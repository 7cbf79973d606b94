"""Production settings, checked in child processes that load them for real."""

import json

import pytest

from tests import server
from tests.server import fetch, free_port, manage, running_server


@pytest.fixture
def production_env(tmp_path):
    return server.production_env(
        tmp_path,
        ALLOWED_HOSTS="127.0.0.1,api.example.com",
        SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO=https",
    )


def test_check_deploy_has_no_warnings(production_env):
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_refuses_to_start_without_a_secret_key(production_env):
    del production_env["DJANGO_SECRET_KEY"]
    result = manage("check", env=production_env, check=False)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_production_refuses_to_start_without_webhook_secret_keys(production_env):
    del production_env["WEBHOOK_SECRET_KEYS"]
    result = manage("check", env=production_env, check=False)
    assert result.returncode != 0
    assert "WEBHOOK_SECRET_KEYS is not set" in result.stderr


def test_an_unknown_environment_is_refused(production_env):
    production_env["DJANGO_ENV"] = "staging"
    result = manage("check", env=production_env, check=False)
    assert result.returncode != 0
    assert "DJANGO_ENV must be 'development' or 'production'" in result.stderr


def test_plain_http_api_request_is_a_403_in_the_envelope_never_a_redirect(production_env):
    manage("migrate", "--noinput", env=production_env)
    port = free_port()
    with running_server(production_env, port, server="gunicorn"):
        base = f"http://127.0.0.1:{port}"
        status, headers, body = fetch(f"{base}/api/me", {})
        envelope = json.loads(body)
        assert status == 403
        assert envelope["success"] is False
        assert envelope["errors"] == (
            "This API is served over HTTPS only: send the request to https://."
        )
        assert headers["X-Request-Id"] == envelope["guid"]
        assert "Location" not in headers

        # Behind a TLS-terminating proxy the same request reaches authentication.
        status, headers, body = fetch(f"{base}/api/me", {"X-Forwarded-Proto": "https"})
        assert status == 401
        assert json.loads(body)["errors"].startswith("Authentication is required")
        assert headers["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains; preload"
        )

        # The admin, by contrast, is redirected to HTTPS.
        status, headers, _ = fetch(f"{base}/admin/", {})
        assert status == 301 and headers["Location"].startswith("https://")
