"""Safe retries with `Idempotency-Key`: the first answer is kept and replayed byte for byte,
the key cannot be reused for another request, and a retry never writes twice."""

from datetime import timedelta

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api import idempotency
from api.models import IdempotentRequest
from records import services
from records.models import Record
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db

KEY = "3f8c2a9e-5d1b-4c7e-9a0f-6b2d8e4c1a7f"


@pytest.fixture
def api(admin_api):
    created = admin_api.post("/api/objects", {"api_name": "companies"})
    assert created.status == 201, created.body
    return admin_api


def companies() -> list[str]:
    return sorted(
        Record.objects.filter(object__api_name="companies").values_list("name", flat=True)
    )


def error(response) -> dict:
    """The error body without its guid (checked against X-Request-Id by assert_envelope)."""
    response.assert_envelope()
    return {k: v for k, v in response.body.items() if k != "guid"}


def test_a_retry_gets_the_first_answer_byte_for_byte(api):
    first = api.post("/api/records/companies", {"name": "Acme"}, HTTP_IDEMPOTENCY_KEY=KEY)
    assert first.status == 201
    assert "Idempotent-Replayed" not in first.headers
    retry = api.post("/api/records/companies", {"name": "Acme"}, HTTP_IDEMPOTENCY_KEY=KEY)
    assert retry.status == 201
    assert retry.raw.content == first.raw.content
    assert retry.headers["X-Request-Id"] == first.headers["X-Request-Id"]
    assert retry.body["guid"] == first.body["guid"]
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.headers["ETag"] == first.headers["ETag"] == '"1"'
    assert retry.headers["Content-Type"] == first.headers["Content-Type"]
    assert "RateLimit-Remaining" in retry.headers
    assert companies() == ["Acme"]


def test_the_replay_is_the_first_answer_even_after_the_record_changed(api):
    first = api.post("/api/records/companies", {"name": "Acme"}, HTTP_IDEMPOTENCY_KEY=KEY)
    api.request("PATCH", f"/api/records/companies/{first.data['id']}", {"name": "Acme 2"})
    retry = api.post("/api/records/companies", {"name": "Acme"}, HTTP_IDEMPOTENCY_KEY=KEY)
    assert retry.raw.content == first.raw.content
    assert companies() == ["Acme 2"]


def test_json_with_the_same_bytes_is_the_same_request_across_trailing_slashes(api):
    body = '{"name": "Acme"}'
    first = api.post("/api/records/companies", raw=body, HTTP_IDEMPOTENCY_KEY=KEY)
    retry = api.post("/api/records/companies/", raw=body, HTTP_IDEMPOTENCY_KEY=KEY)
    assert (first.status, retry.status) == (201, 201)
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert companies() == ["Acme"]


IN_USE = {
    "success": False,
    "errors": "This Idempotency-Key was already used for another request (a different method, "
    "path or body); send a new key for a new request.",
    "errorDetail": {"Idempotency-Key": ["Already used for a different request."]},
}


def test_the_same_key_with_another_body_path_or_method_is_a_422(api):
    first = api.post("/api/records/companies", {"name": "Acme"}, HTTP_IDEMPOTENCY_KEY=KEY)
    record = first.data["id"]
    other_body = api.post("/api/records/companies", {"name": "Globex"}, HTTP_IDEMPOTENCY_KEY=KEY)
    assert other_body.status == 422
    assert error(other_body) == IN_USE
    other_path = api.post(
        "/api/records/companies?select=-meta", {"name": "Acme"}, HTTP_IDEMPOTENCY_KEY=KEY
    )
    assert (other_path.status, error(other_path)) == (422, IN_USE)
    other_method = api.request(
        "PATCH", f"/api/records/companies/{record}", {"name": "X"}, HTTP_IDEMPOTENCY_KEY=KEY
    )
    assert (other_method.status, error(other_method)) == (422, IN_USE)
    assert companies() == ["Acme"]


def test_a_retry_while_the_first_is_still_running_is_a_409(api):
    first = api.post("/api/records/companies", {"name": "Acme"}, HTTP_IDEMPOTENCY_KEY=KEY)
    # As the row is while the first request runs: reserved, no answer yet.
    IdempotentRequest.objects.update(status=None, response_body=b"", response_headers=[])
    retry = api.post("/api/records/companies", {"name": "Acme"}, HTTP_IDEMPOTENCY_KEY=KEY)
    assert retry.status == 409
    assert error(retry) == {
        "success": False,
        "errors": "A request with this Idempotency-Key is still being processed; retry after "
        "it finished.",
        "errorDetail": {"Idempotency-Key": ["A request with this key is still running."]},
    }
    assert retry.headers["X-Request-Id"] != first.headers["X-Request-Id"]
    assert "Idempotent-Replayed" not in retry.headers
    assert companies() == ["Acme"]


def test_a_reservation_whose_request_died_is_taken_over_after_the_in_flight_timeout(api, settings):
    """A process killed mid-request leaves its key reserved with no answer: retries are a 409
    for API_IDEMPOTENCY_IN_FLIGHT_TIMEOUT_SECONDS, then one runs, and its answer is kept."""
    settings.API_IDEMPOTENCY_IN_FLIGHT_TIMEOUT_SECONDS = 60
    first = api.post("/api/records/companies", {"name": "Acme"}, HTTP_IDEMPOTENCY_KEY=KEY)
    # As a killed request leaves it: reserved, never answered; its write rolled back with it.
    Record.objects.filter(object__api_name="companies").delete()
    reserved_at = timezone.now() - timedelta(seconds=59)
    IdempotentRequest.objects.update(
        status=None, response_body=b"", response_headers=[], created_at=reserved_at
    )
    assert (
        api.post("/api/records/companies", {"name": "Acme"}, HTTP_IDEMPOTENCY_KEY=KEY).status == 409
    )
    assert companies() == []

    IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(seconds=61))
    retry = api.post("/api/records/companies", {"name": "Acme"}, HTTP_IDEMPOTENCY_KEY=KEY)
    assert retry.status == 201, retry.body
    assert "Idempotent-Replayed" not in retry.headers
    assert retry.body["guid"] != first.body["guid"]
    assert companies() == ["Acme"]
    row = IdempotentRequest.objects.get()
    assert (row.status, str(row.request_guid)) == (201, retry.body["guid"])
    assert row.created_at > timezone.now() - timedelta(seconds=10)  # kept 24 h from the retry

    again = api.post("/api/records/companies", {"name": "Acme"}, HTTP_IDEMPOTENCY_KEY=KEY)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.raw.content == retry.raw.content
    assert companies() == ["Acme"]


def test_a_stale_reservation_is_still_the_first_requests_key_for_another_body(api):
    api.post("/api/records/companies", {"name": "Acme"}, HTTP_IDEMPOTENCY_KEY=KEY)
    IdempotentRequest.objects.update(status=None, created_at=timezone.now() - timedelta(hours=1))
    other = api.post("/api/records/companies", {"name": "Other"}, HTTP_IDEMPOTENCY_KEY=KEY)
    assert other.status == 422
    assert companies() == ["Acme"]


def test_the_first_request_finishing_after_a_takeover_stores_nothing(api, rf):
    """A request thought dead but only slow: its late answer does not overwrite the retry's."""
    api.post("/api/records/companies", {"name": "Acme"}, HTTP_IDEMPOTENCY_KEY=KEY)
    row = IdempotentRequest.objects.get()
    IdempotentRequest.objects.update(status=None, created_at=timezone.now() - timedelta(hours=1))
    retry = api.post("/api/records/companies", {"name": "Acme"}, HTTP_IDEMPOTENCY_KEY=KEY)
    assert retry.status == 201
    stored = bytes(IdempotentRequest.objects.get().response_body)

    late = idempotency.Reservation(pk=row.pk, request_guid=row.request_guid)
    request = rf.post("/api/records/companies")
    request.guid = row.request_guid
    idempotency.finish(late, request, HttpResponse(b"late", status=201))
    assert bytes(IdempotentRequest.objects.get().response_body) == stored


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("k" * 256, "it is 256 characters long; the limit is 255."),
        ("", "it is empty; send up to 255 visible characters."),
        ("   ", "it is empty; send up to 255 visible characters."),
        ("key\x00nul", "use visible ASCII characters only (a UUID, for instance)."),
        ("clé", "use visible ASCII characters only (a UUID, for instance)."),
        ("tab\tkey", "use visible ASCII characters only (a UUID, for instance)."),
    ],
)
def test_a_key_that_cannot_be_one_is_a_400_and_nothing_is_written(api, value, problem):
    response = api.post("/api/records/companies", {"name": "Acme"}, HTTP_IDEMPOTENCY_KEY=value)
    assert response.status == 400
    assert error(response) == {
        "success": False,
        "errors": f"Invalid value for 'Idempotency-Key': {problem}",
        "errorDetail": {"Idempotency-Key": [problem]},
    }
    assert companies() == []
    assert not IdempotentRequest.objects.exists()


def test_a_key_of_255_characters_is_accepted(api):
    key = "k" * 255
    first = api.post("/api/records/companies", {"name": "Acme"}, HTTP_IDEMPOTENCY_KEY=key)
    retry = api.post("/api/records/companies", {"name": "Acme"}, HTTP_IDEMPOTENCY_KEY=key)
    assert (first.status, retry.status) == (201, 201)
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert companies() == ["Acme"]


def test_the_same_key_of_another_api_key_is_another_request(api, org, make_key):
    other = ApiClient(make_key(org, "write")[1])
    first = api.post("/api/records/companies", {"name": "Acme"}, HTTP_IDEMPOTENCY_KEY=KEY)
    second = other.post("/api/records/companies", {"name": "Acme"}, HTTP_IDEMPOTENCY_KEY=KEY)
    assert (first.status, second.status) == (201, 201)
    assert "Idempotent-Replayed" not in second.headers
    assert second.data["id"] != first.data["id"]
    assert companies() == ["Acme", "Acme"]
    # ...and a different body under that key is no clash with the first key's request.
    third = other.post("/api/records/companies", {"name": "Globex"}, HTTP_IDEMPOTENCY_KEY=KEY)
    assert third.status == 422


def test_get_ignores_the_header(api):
    created = api.post("/api/records/companies", {"name": "Acme"})
    path = f"/api/records/companies/{created.data['id']}"
    first = api.get(path, HTTP_IDEMPOTENCY_KEY=KEY)
    second = api.get(path, HTTP_IDEMPOTENCY_KEY="k" * 300)
    assert (first.status, second.status) == (200, 200)
    assert first.body["guid"] != second.body["guid"]
    assert "Idempotent-Replayed" not in second.headers
    assert not IdempotentRequest.objects.exists()


def test_an_error_answer_is_kept_and_replayed_too(api):
    body = {"name": "Acme", "fields": {"nope": 1}}
    first = api.post("/api/records/companies", body, HTTP_IDEMPOTENCY_KEY=KEY)
    assert first.status == 422
    retry = api.post("/api/records/companies", body, HTTP_IDEMPOTENCY_KEY=KEY)
    assert retry.status == 422
    assert retry.raw.content == first.raw.content
    assert retry.headers["X-Request-Id"] == first.headers["X-Request-Id"]
    assert retry.headers["Idempotent-Replayed"] == "true"


def test_a_delete_retried_gets_its_200_again_not_a_404(api):
    record = api.post("/api/records/companies", {"name": "Acme"}).data["id"]
    path = f"/api/records/companies/{record}"
    first = api.request("DELETE", path, HTTP_IDEMPOTENCY_KEY=KEY)
    retry = api.request("DELETE", path, HTTP_IDEMPOTENCY_KEY=KEY)
    assert (first.status, retry.status) == (200, 200)
    assert retry.raw.content == first.raw.content
    assert retry.data == {"id": record, "deleted": True}
    assert api.request("DELETE", path).status == 404


def test_a_server_error_lets_the_key_go_so_the_retry_runs(api, monkeypatch):
    real_create = services.create_record
    calls = []

    def failing_once(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise RuntimeError("the database went away")
        return real_create(**kwargs)

    monkeypatch.setattr(services, "create_record", failing_once)
    first = api.post("/api/records/companies", {"name": "Acme"}, HTTP_IDEMPOTENCY_KEY=KEY)
    assert first.status == 500
    assert not IdempotentRequest.objects.exists()
    retry = api.post("/api/records/companies", {"name": "Acme"}, HTTP_IDEMPOTENCY_KEY=KEY)
    assert retry.status == 201
    assert "Idempotent-Replayed" not in retry.headers
    assert companies() == ["Acme"]
    assert IdempotentRequest.objects.get().status == 201


def test_an_expired_key_is_a_new_request_and_is_purged(api, settings):
    from api.tasks import purge_expired_idempotency_keys

    first = api.post("/api/records/companies", {"name": "Acme"}, HTTP_IDEMPOTENCY_KEY=KEY)
    IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(hours=25))
    again = api.post("/api/records/companies", {"name": "Acme"}, HTTP_IDEMPOTENCY_KEY=KEY)
    assert again.status == 201
    assert "Idempotent-Replayed" not in again.headers
    assert again.body["guid"] != first.body["guid"]
    assert companies() == ["Acme", "Acme"]
    api.post("/api/records/companies", {"name": "Other"}, HTTP_IDEMPOTENCY_KEY="other")
    IdempotentRequest.objects.filter(key="other").update(
        created_at=timezone.now() - timedelta(hours=settings.API_IDEMPOTENCY_RETENTION_HOURS + 1)
    )
    assert purge_expired_idempotency_keys.call() == 1
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == [KEY]


def test_key_creation_refuses_the_header_since_its_secret_is_never_stored(api):
    response = api.post("/api/keys", {"scope": "read"}, HTTP_IDEMPOTENCY_KEY=KEY)
    assert response.status == 400
    problem = "not accepted here: this answer holds a secret that is shown once and never stored."
    assert error(response) == {
        "success": False,
        "errors": f"Invalid value for 'Idempotency-Key': {problem}",
        "errorDetail": {"Idempotency-Key": [problem]},
    }
    assert not IdempotentRequest.objects.exists()


def test_unauthenticated_and_unparsable_requests_reserve_nothing(api, anonymous_api):
    anonymous = anonymous_api.post(
        "/api/records/companies", {"name": "Acme"}, HTTP_IDEMPOTENCY_KEY=KEY
    )
    assert anonymous.status == 401
    broken = api.post("/api/records/companies", raw="{not json", HTTP_IDEMPOTENCY_KEY=KEY)
    assert broken.status == 400
    assert not IdempotentRequest.objects.exists()
    # The key is still free for the real request.
    assert (
        api.post("/api/records/companies", {"name": "Acme"}, HTTP_IDEMPOTENCY_KEY=KEY).status == 201
    )


def test_a_key_costs_one_insert_before_and_one_update_after(api):
    def statements(**headers):
        with CaptureQueriesContext(connection) as queries:
            response = api.post("/api/records/companies", {"name": "Acme"}, **headers)
        assert response.status == 201
        return [query["sql"] for query in queries.captured_queries]

    plain = statements()
    keyed = statements(HTTP_IDEMPOTENCY_KEY=KEY)
    extra = [sql for sql in keyed if "idempotentrequest" in sql.lower()]
    assert len(keyed) == len(plain) + 2
    assert [sql.split()[0] for sql in extra] == ["INSERT", "UPDATE"]
    replay = statements(HTTP_IDEMPOTENCY_KEY=KEY)
    assert len(replay) < len(plain)  # the reservation's INSERT fails, one SELECT, no write


def test_the_request_log_keeps_the_replay_as_its_own_request(api, settings):
    settings.API_REQUEST_LOG_ENABLED = True
    first = api.post("/api/records/companies", {"name": "Acme"}, HTTP_IDEMPOTENCY_KEY=KEY)
    api.post("/api/records/companies", {"name": "Acme"}, HTTP_IDEMPOTENCY_KEY=KEY)
    logged = api.get("/api/requests?sort=created_at").data
    posts = [entry for entry in logged if entry["method"] == "POST" and "records" in entry["path"]]
    assert [entry["status"] for entry in posts] == [201, 201]
    assert posts[0]["guid"] == first.body["guid"]
    assert posts[1]["guid"] != posts[0]["guid"]


@pytest.mark.parametrize(("method", "path"), [("put", "/api/keys"), ("patch", "/api/me")])
def test_a_method_the_route_lacks_is_a_405_whatever_the_key(api, method, path):
    """The 405 comes first: the key is neither refused (POST /api/keys refuses keys), nor
    reserved, nor compared with an earlier request's (found by schemathesis: a 422)."""
    api.post("/api/records/companies", {"name": "Acme"}, HTTP_IDEMPOTENCY_KEY=KEY)
    for _ in range(2):
        response = api.request(method, path, {}, HTTP_IDEMPOTENCY_KEY=KEY).assert_envelope()
        assert response.status == 405, response.body
    assert IdempotentRequest.objects.count() == 1
