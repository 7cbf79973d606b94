"""Shared fixtures: organizations, API keys of each scope, and an HTTP client that speaks the
envelope (`ApiClient`)."""

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.core.cache import cache
from django.db import connection as db_connection
from django.test import Client

from accounts.models import ApiKey, Organization
from accounts.services import add_member, create_api_key, create_organization
from api import statement_timeout
from webhooks.sending import connections as webhook_connections

STAFF_PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Logins are part of admin tests; a slow hasher only makes them slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_kept_webhook_connections():
    """Webhook connections are kept alive per process: closed after each test, so none
    outlives the receiver it was opened to (or reaches the next test's)."""
    yield
    webhook_connections.clear()


@pytest.fixture(autouse=True)
def _statement_timeout_follows_the_test():
    """An API request leaves its statement timeout on the connection (api.statement_timeout).
    A test's rollback takes it away unseen; a transactional test's must be undone."""
    yield
    try:
        if db_connection.connection is not None and not db_connection.in_atomic_block:
            statement_timeout.unlimit()
    except Exception:  # noqa: S110 - database access may be closed by now
        pass
    statement_timeout.forget()


@pytest.fixture(autouse=True)
def _fresh_throttle_windows():
    cache.clear()
    yield
    cache.clear()


class ApiResponse:
    """A response plus its decoded envelope, with the checks every API answer must pass."""

    def __init__(self, response) -> None:
        self.raw = response
        self.status = response.status_code
        self.headers = response.headers
        self.body: dict[str, Any] = json.loads(response.content)

    @property
    def data(self) -> Any:
        return self.body["data"]

    def assert_envelope(self) -> "ApiResponse":
        assert self.headers["Content-Type"].startswith("application/json")
        assert self.body["guid"] == self.headers["X-Request-Id"]
        if self.status < 400:
            assert self.body["success"] is True
            assert "data" in self.body
        else:
            assert self.body["success"] is False
            assert isinstance(self.body["errors"], str) and self.body["errors"]
            assert "Traceback" not in self.raw.content.decode()
        return self


class ApiClient:
    """Calls the API through Django's WSGI handler with a real key, like curl would."""

    def __init__(self, raw_key: str | None = None, **defaults: str) -> None:
        self.client = Client(raise_request_exception=False)
        self.raw_key = raw_key
        self.defaults = defaults

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        content_type: str = "application/json",
        raw: bytes | str | None = None,
        **headers: str,
    ) -> ApiResponse:
        extra = dict(self.defaults)
        if self.raw_key is not None:
            extra["HTTP_AUTHORIZATION"] = f"Bearer {self.raw_key}"
        extra.update(headers)
        data: Any = raw if raw is not None else (json.dumps(body) if body is not None else "")
        if method.upper() == "GET" and raw is None and body is None:
            response = self.client.get(path, **extra)
        else:
            response = self.client.generic(
                method.upper(), path, data=data, content_type=content_type, **extra
            )
        return ApiResponse(response)

    def get(self, path: str, **kwargs: Any) -> ApiResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> ApiResponse:
        return self.request("POST", path, body, **kwargs)


@pytest.fixture
def org(db) -> Organization:
    return create_organization(name="Acme Inc")


@pytest.fixture
def other_org(db) -> Organization:
    return create_organization(name="Globex")


@pytest.fixture
def make_key(db) -> Callable[..., tuple[ApiKey, str]]:
    def make(org: Organization, scope: str = "read", name: str = "") -> tuple[ApiKey, str]:
        return create_api_key(org=org, scope=scope, name=name)

    return make


@pytest.fixture
def read_api(org, make_key) -> ApiClient:
    return ApiClient(make_key(org, "read")[1])


@pytest.fixture
def write_api(org, make_key) -> ApiClient:
    return ApiClient(make_key(org, "write")[1])


@pytest.fixture
def admin_api(org, make_key) -> ApiClient:
    return ApiClient(make_key(org, "admin")[1])


@pytest.fixture
def other_admin_api(other_org, make_key) -> ApiClient:
    return ApiClient(make_key(other_org, "admin")[1])


@pytest.fixture
def anonymous_api(db) -> ApiClient:
    return ApiClient()


def admin_login(username: str) -> Client:
    """A browser session of the admin, logged in through the login form."""
    client = Client()
    response = client.post(
        "/admin/login/?next=/admin/", {"username": username, "password": STAFF_PASSWORD}
    )
    assert response.status_code == 302, response.content
    return client


def staff_member(org: Organization, *, app_labels: list[str]) -> Client:
    """A staff user of `org` with every permission of `app_labels`, logged in."""
    user = User.objects.create_user("staff", password=STAFF_PASSWORD, is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=app_labels))
    add_member(org=org, user=user)
    return admin_login("staff")
