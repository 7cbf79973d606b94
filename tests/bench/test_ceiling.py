"""The benchmark's ceiling app answers like the product's envelope, replays captured SQL with
the request's id, refuses bad keys and writes the request-log row once the answer is sent."""

import json
import uuid
from io import BytesIO

import pytest
from django.db import connection
from psycopg.conninfo import make_conninfo

from accounts.services import create_api_key, create_organization
from api.models import RequestLog

pytestmark = pytest.mark.django_db(transaction=True)  # the app reads through its own connection


@pytest.fixture
def ceiling():
    if connection.vendor != "postgresql":
        pytest.skip("the ceiling app runs on PostgreSQL only")
    from bench.capture import ID_HEX
    from bench.ceiling import Ceiling

    settings = connection.settings_dict
    conninfo = make_conninfo(
        dbname=settings["NAME"],
        user=settings["USER"] or None,
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or None,
        port=str(settings["PORT"]) if settings["PORT"] else None,
    )
    capture = {
        "scenarios": {
            "a": {"path": "/api/things/{id}", "statements": [f"SELECT '{ID_HEX}'::uuid, 1.5"]},
            "b": {"path": "/api/things?limit=2", "statements": ["SELECT 1", "SELECT 2, 'two'"]},
        }
    }
    app = Ceiling(capture, conninfo)
    yield app
    if app._conn is not None:
        app._conn.close()


def call(app, path: str, key: str) -> tuple[str, dict, list]:
    path_info, _, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path_info,
        "QUERY_STRING": query,
        "HTTP_AUTHORIZATION": f"Bearer {key}",
        "wsgi.input": BytesIO(b""),
    }
    started: dict = {}

    def start_response(status: str, headers: list) -> None:
        started.update(status=status, headers=dict(headers))

    body = app(environ, start_response)
    chunks = list(body)
    body.close()  # as gunicorn does once the bytes are sent: the log row is written then
    return started["status"], started["headers"], json.loads(b"".join(chunks))


def test_replays_the_captured_sql_with_the_requests_id(ceiling):
    org = create_organization(name="Ceiling")
    _, key = create_api_key(org=org, scope="read")
    record_id = uuid.uuid4()

    status, headers, body = call(ceiling, f"/api/things/{record_id}", key)

    assert status.startswith("200")
    assert body["success"] is True and body["guid"] == headers["X-Request-Id"]
    assert body["data"] == [[[str(record_id), 1.5]]]
    status, _, body = call(ceiling, "/api/things?limit=2", key)
    assert body["data"] == [[[1]], [[2, "two"]]]
    logged = RequestLog.objects.get(guid=headers["X-Request-Id"])
    assert (logged.org_id, logged.status, logged.path) == (org.id, 200, f"/api/things/{record_id}")


def test_refuses_bad_keys_unknown_paths_and_ids_that_are_not_uuids(ceiling):
    org = create_organization(name="Ceiling")
    _, key = create_api_key(org=org, scope="read")

    wrong = key[:-1] + ("1" if key.endswith("0") else "0")  # never the key itself
    assert call(ceiling, "/api/things?limit=2", wrong)[0].startswith("401")
    assert call(ceiling, "/api/other", key)[0].startswith("404")
    assert call(ceiling, "/api/things/1'%3BDROP", key)[0].startswith("404")
