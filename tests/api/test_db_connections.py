"""A kept database connection is checked before a request only after sitting idle: no
`SELECT 1` in front of every request."""

import time

import pytest
from django.db import connection, connections

from api.db_connections import IDLE_SINCE
from tests.conftest import ApiClient

# Transactions of their own: a request never starts inside one, and these must not either.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def checks(monkeypatch) -> list[bool]:
    """The answer of every health check made."""
    made: list[bool] = []
    real = connection.is_usable

    def is_usable() -> bool:
        made.append(real())
        return made[-1]

    monkeypatch.setattr(connections["default"], "is_usable", is_usable)
    return made


def test_django_does_not_check_before_every_request():
    assert connections["default"].settings_dict["CONN_HEALTH_CHECKS"] is False


def test_a_busy_connection_is_not_checked(org, make_key, checks):
    api = ApiClient(make_key(org, "read")[1])
    for _ in range(3):
        assert api.get("/api/me").status == 200
    assert checks == []


def test_an_idle_connection_is_checked_once_then_trusted(org, make_key, checks):
    api = ApiClient(make_key(org, "read")[1])
    api.get("/api/me")
    setattr(connection, IDLE_SINCE, time.monotonic() - 3600)
    assert api.get("/api/me").status == 200
    assert api.get("/api/me").status == 200
    assert checks == [True]


def test_an_idle_connection_that_fails_its_check_is_replaced(org, make_key, monkeypatch):
    api = ApiClient(make_key(org, "read")[1])
    api.get("/api/me")
    dropped = connection.connection
    monkeypatch.setattr(connections["default"], "is_usable", lambda: False)
    setattr(connection, IDLE_SINCE, time.monotonic() - 3600)
    assert api.get("/api/me").status == 200
    assert connection.connection is not dropped
