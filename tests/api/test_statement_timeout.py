"""PostgreSQL: an API request's statements are bounded in time (API_STATEMENT_TIMEOUT_SECONDS);
past the bound the answer is a 503 in the envelope, not a hang and not a 500. Other work on
the same connection (the worker, migrations, commands) is not bounded."""

from unittest import mock

import pytest
from django.db import connection
from django.test import override_settings

from api import selectors

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL setting"),
]


def slow_request_logs(**kwargs):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(1)")
    return original_request_logs(**kwargs)


original_request_logs = selectors.request_logs


def statement_timeout() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        return cursor.fetchone()[0]


@override_settings(API_STATEMENT_TIMEOUT_SECONDS=0.2)
def test_a_statement_past_the_timeout_is_a_503_in_the_envelope(read_api):
    with mock.patch("api.selectors.request_logs", slow_request_logs):
        response = read_api.get("/api/requests")
    assert response.assert_envelope().status == 503
    assert response.body["errors"] == (
        "The query took too long (over 0.2 s, the API_STATEMENT_TIMEOUT_SECONDS limit) and was "
        "stopped; nothing was written. Narrow the filters, or retry later."
    )
    assert set(response.body) == {"success", "guid", "errors"}
    # The next request is served.
    assert read_api.get("/api/requests").assert_envelope().status == 200


@override_settings(API_STATEMENT_TIMEOUT_SECONDS=0.2)
def test_the_limit_is_the_api_requests_only(read_api, client):
    assert read_api.get("/api/requests").assert_envelope().status == 200
    assert statement_timeout() == "200ms"
    # Anything else the web process serves on the connection runs without it ...
    client.get("/admin/login/")
    assert statement_timeout() == "0"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(0.3)")
    # ... as does work outside any request (the worker, migrations, commands): a new connection.
    connection.close()
    assert statement_timeout() == "0"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(0.3)")


@override_settings(API_STATEMENT_TIMEOUT_SECONDS=5)
def test_statements_within_the_timeout_are_served(read_api):
    with mock.patch("api.selectors.request_logs", slow_request_logs):
        response = read_api.get("/api/requests")
    assert response.assert_envelope().status == 200
    assert statement_timeout() == "5s"


@override_settings(API_STATEMENT_TIMEOUT_SECONDS=0)
def test_zero_means_no_limit(read_api):
    with mock.patch("api.selectors.request_logs", slow_request_logs):
        assert read_api.get("/api/requests").assert_envelope().status == 200
