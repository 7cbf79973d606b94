"""The auth matrix: who gets 401, who gets 403, and both ways of sending a key."""

import base64
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import ApiKey
from accounts.services import revoke_api_key, touch_api_key
from tests.conftest import ApiClient

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.api.routes")]


def basic(username: str, password: str = "") -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def test_no_key_is_401(anonymous_api):
    response = anonymous_api.get("/api/me").assert_envelope()
    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer rb_000000000000_" + "0" * 48,
        "Bearer not-a-key",
        "Bearer ",
        basic("rb_000000000000_" + "0" * 48),
        "Basic !!!notbase64",
        basic(""),
        basic("rb_a\x00b_c"),
        basic("rb_000000000000_" + "0" * 47 + "\x00"),
        "Bearer rb_000000000000_" + "0" * 47 + "\x00",
        "Bearer rb_000000000000_" + "0" * 48 + "0",
        "Bearer " + "rb_" + "a" * 5000,
    ],
)
def test_unknown_or_malformed_key_is_401(db, authorization):
    response = ApiClient().get("/api/me", HTTP_AUTHORIZATION=authorization).assert_envelope()
    assert response.status == 401
    assert "WWW-Authenticate" in response.headers


def test_unknown_key_says_so(db):
    response = ApiClient("rb_000000000000_" + "0" * 48).get("/api/me").assert_envelope()
    assert response.body["errors"] == "The API key is not valid."


def test_right_prefix_wrong_secret_is_401(org, make_key):
    _, raw = make_key(org, "admin")
    tampered = raw[:-1] + ("0" if raw[-1] != "0" else "1")
    response = ApiClient(tampered).get("/api/me").assert_envelope()
    assert response.status == 401


def test_revoked_key_is_401(org, make_key):
    api_key, raw = make_key(org, "admin")
    assert ApiClient(raw).get("/api/me").status == 200
    revoke_api_key(api_key=api_key)
    response = ApiClient(raw).get("/api/me").assert_envelope()
    assert response.status == 401
    assert response.body["errors"] == "The API key was revoked."


def test_bearer_works(org, make_key):
    _, raw = make_key(org, "read")
    response = ApiClient().get("/api/me", HTTP_AUTHORIZATION=f"Bearer {raw}").assert_envelope()
    assert response.status == 200
    assert response.data["organization"]["slug"] == org.slug


def test_basic_with_key_as_user_name_works(org, make_key):
    _, raw = make_key(org, "read")
    response = ApiClient().get("/api/me", HTTP_AUTHORIZATION=basic(raw)).assert_envelope()
    assert response.status == 200
    assert response.data["organization"]["slug"] == org.slug


def test_read_key_on_a_write_route_is_403(org, make_key):
    response = ApiClient(make_key(org, "read")[1]).post("/api/test/write", {}).assert_envelope()
    assert response.status == 403


def test_write_key_on_a_write_route_is_allowed(org, make_key):
    response = ApiClient(make_key(org, "write")[1]).post("/api/test/write", {}).assert_envelope()
    assert response.status == 201


def test_write_key_on_an_admin_route_is_403(org, make_key):
    api = ApiClient(make_key(org, "write")[1])
    listing = api.get("/api/keys").assert_envelope()
    assert listing.status == 403
    assert listing.body["errors"] == "This API key has the 'write' scope; this needs 'admin'."
    creating = api.post("/api/keys", {"scope": "read"}).assert_envelope()
    assert creating.status == 403


def test_admin_key_on_an_admin_route_is_allowed(admin_api):
    assert admin_api.get("/api/keys").assert_envelope().status == 200


def test_using_a_key_records_last_used_at_once_a_minute(org, make_key):
    api_key, raw = make_key(org, "read")
    assert api_key.last_used_at is None
    ApiClient(raw).get("/api/me")
    api_key.refresh_from_db()
    first = api_key.last_used_at
    assert first is not None
    with CaptureQueriesContext(connection) as queries:
        ApiClient(raw).get("/api/me")
    api_key.refresh_from_db()
    assert api_key.last_used_at == first  # within the minute: no second write
    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]


def test_of_processes_that_saw_last_used_at_stale_at_once_one_writes(org, make_key):
    api_key, raw = make_key(org, "read")
    ApiClient(raw).get("/api/me")
    seen_here = ApiKey.objects.get(pk=api_key.pk)
    seen_there = ApiKey.objects.get(pk=api_key.pk)
    a_minute_on = seen_here.last_used_at + timedelta(seconds=61)
    touch_api_key(api_key=seen_there, now=a_minute_on)
    touch_api_key(api_key=seen_here, now=a_minute_on + timedelta(seconds=1))
    assert ApiKey.objects.get(pk=api_key.pk).last_used_at == a_minute_on


def test_a_key_revoked_elsewhere_is_refused_on_the_next_request(org, make_key):
    """Keys are read on every request, never cached: a revocation made by any process counts
    from the next request on, the schema cache notwithstanding."""
    api_key, raw = make_key(org, "write")
    api = ApiClient(raw)
    created = api.post("/api/records/contacts", {"fields": {"email": "a@example.com"}})
    path = f"/api/records/contacts/{created.data['id']}"
    assert api.get(path).status == 200
    revoke_api_key(api_key=ApiKey.objects.get(pk=api_key.pk))
    refused = api.get(path).assert_envelope()
    assert refused.status == 401
    assert refused.body["errors"] == "The API key was revoked."
