"""`GET /api/requests` and `/api/requests/{guid}`: what the server recorded, own org only;
the purge command keeps 14 days."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from api.models import RequestLog
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db


def test_a_request_can_be_found_by_its_guid(read_api):
    failed = read_api.get("/api/requests?limit=-1").assert_envelope()
    assert failed.status == 400
    guid = failed.body["guid"]
    response = read_api.get(f"/api/requests/{guid}").assert_envelope()
    assert response.status == 200
    entry = response.data
    assert entry["guid"] == guid
    assert entry["method"] == "GET"
    assert entry["path"] == "/api/requests?limit=-1"
    assert entry["status"] == 400
    assert entry["error"] == failed.body["errors"]
    assert entry["duration_ms"] >= 0
    assert entry["created_at"]


def test_another_orgs_guid_is_404(read_api, other_admin_api):
    theirs = other_admin_api.get("/api/me").assert_envelope().body["guid"]
    response = read_api.get(f"/api/requests/{theirs}").assert_envelope()
    assert response.status == 404
    assert response.body["errors"] == (
        f"No request with guid '{theirs}' was recorded for this organization."
    )


@pytest.mark.parametrize("guid", ["nope", "00000000-0000-0000-0000-000000000000", "1" * 300])
def test_unknown_guid_is_404(read_api, guid):
    assert read_api.get(f"/api/requests/{guid}").assert_envelope().status == 404


def test_list_is_newest_first_and_only_own(read_api, other_admin_api):
    other_admin_api.get("/api/me")
    guids = [read_api.get("/api/me").body["guid"] for _ in range(3)]
    response = read_api.get("/api/requests").assert_envelope()
    assert [item["guid"] for item in response.data] == list(reversed(guids))
    assert response.body["pagination"] == {"total": 3, "limit": 100, "offset": 0}


def test_list_sorts_by_status_then_newest(read_api, org, settings):
    now = timezone.now()
    for minutes, status in [(1, 200), (2, 404), (3, 200), (4, 400)]:
        RequestLog.objects.create(
            guid=f"00000000-0000-0000-0000-0000000000{minutes:02d}",
            org_id=org.id,
            method="GET",
            path="/x",
            status=status,
            duration_ms=minutes,
            created_at=now - timedelta(minutes=minutes),
        )
    settings.API_REQUEST_LOG_ENABLED = False
    ascending = read_api.get("/api/requests?sort=status").assert_envelope()
    assert [(i["status"], i["duration_ms"]) for i in ascending.data] == [
        (200, 1),
        (200, 3),
        (400, 4),
        (404, 2),
    ]
    descending = read_api.get("/api/requests?sort=-duration_ms").assert_envelope()
    assert [i["duration_ms"] for i in descending.data] == [4, 3, 2, 1]
    default = read_api.get("/api/requests").assert_envelope()
    assert [i["duration_ms"] for i in default.data] == [1, 2, 3, 4]


def test_a_request_with_a_nul_in_its_path_is_a_404_and_still_logged(read_api):
    # Refused before authentication (no name or id holds a NUL), so logged without an org.
    response = read_api.get("/api/requests/%00").assert_envelope()
    assert response.status == 404
    entry = RequestLog.objects.get(guid=response.body["guid"])
    assert (entry.path, entry.status) == ("/api/requests/%00", 404)


@pytest.mark.parametrize("query", ["select=meta", "colour=red", "sort=status&Limit=1"])
def test_unknown_parameters_are_a_400(read_api, query):
    response = read_api.get(f"/api/requests?{query}").assert_envelope()
    assert response.status == 400
    assert response.body["errors"].startswith("Unknown parameter: ")


def test_unauthenticated_requests_are_recorded_without_an_org(anonymous_api):
    response = anonymous_api.get("/api/me")
    entry = RequestLog.objects.get(guid=response.body["guid"])
    assert entry.org_id is None and entry.status == 401


def test_purge_removes_older_than_14_days_and_keeps_the_rest(read_api, org):
    now = timezone.now()
    for index, age in enumerate(
        [
            timedelta(days=15),
            timedelta(days=14, minutes=1),
            timedelta(days=13, hours=23),
            timedelta(hours=1),
        ]
    ):
        RequestLog.objects.create(
            guid=f"00000000-0000-0000-0000-00000000000{index}",
            org_id=org.id,
            method="GET",
            path="/api/me",
            status=200,
            duration_ms=1,
            created_at=now - age,
        )
    call_command("purge_request_logs")
    kept = set(RequestLog.objects.values_list("guid", flat=True))
    assert {str(guid) for guid in kept} == {
        "00000000-0000-0000-0000-000000000002",
        "00000000-0000-0000-0000-000000000003",
    }


def test_request_log_can_be_turned_off(read_api, settings):
    settings.API_REQUEST_LOG_ENABLED = False
    read_api.get("/api/me")
    assert RequestLog.objects.count() == 0


def test_list_query_count_does_not_grow(read_api, django_assert_num_queries):
    read_api.get("/api/me")
    with django_assert_num_queries(4):  # key, count, page, log row
        read_api.get("/api/requests")
    for _ in range(10):
        read_api.get("/api/me")
    with django_assert_num_queries(4):
        assert len(read_api.get("/api/requests").data) >= 10


def test_detail_query_count(read_api, django_assert_num_queries):
    guid = read_api.get("/api/me").body["guid"]
    with django_assert_num_queries(3):  # key, the entry, log row
        read_api.get(f"/api/requests/{guid}")


@pytest.mark.django_db(transaction=True)
def test_written_outside_a_transaction_as_in_production(org, make_key):
    """Outside the test transaction the write takes the production path (on PostgreSQL, the
    INSERT that does not wait for the WAL flush)."""
    _, raw = make_key(org, "read")
    response = ApiClient(raw).get("/api/requests?limit=1")
    entry = RequestLog.objects.get(guid=response.body["guid"])
    assert (entry.org_id, entry.method, entry.path, entry.status) == (
        org.id,
        "GET",
        "/api/requests?limit=1",
        200,
    )
    assert entry.api_key_prefix == raw[:15]


@pytest.mark.parametrize(
    ("query", "logged"),
    [
        ("api_key={key}&limit=1", "api_key=REDACTED&limit=1"),
        ("limit=1&access_token=abc&sort=-status", "limit=1&access_token=REDACTED&sort=-status"),
        (
            "apiKey=abc&Password=x&x-auth-token=y",
            "apiKey=REDACTED&Password=REDACTED&x-auth-token=REDACTED",
        ),
        ("q={key}", "q=REDACTED"),  # a raw key under any name
        ("limit=1&sort=-status", "limit=1&sort=-status"),
    ],
)
def test_a_credential_in_the_query_string_is_not_kept_in_the_log(org, make_key, query, logged):
    """Keys belong in a header; one sent in the query string anyway is not stored, and the
    rest of the query string is kept as sent."""
    _, raw = make_key(org, "read")
    response = ApiClient(raw).get("/api/requests?" + query.format(key=raw))
    entry = RequestLog.objects.get(guid=response.body["guid"])
    assert entry.path == f"/api/requests?{logged}"
    assert raw not in entry.path and raw[:15] not in entry.path
