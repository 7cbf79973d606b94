"""The webhooks API through HTTP: endpoints, deliveries, the event feed; bad inputs, scopes,
other organizations, query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.webhooks.conftest import run_worker
from webhooks.models import Endpoint, Event

pytestmark = pytest.mark.django_db


def test_create_shows_the_secret_once(admin_api, receiver):
    created = admin_api.post(
        "/api/webhooks",
        {
            "url": receiver.url,
            "events": ["record.created", "record.*"],
            "objects": ["contacts"],
            "description": "CRM sync",
        },
    ).assert_envelope()
    assert created.status == 201
    data = created.data
    assert data["secret"].startswith("whsec_")
    assert data["events"] == ["record.created", "record.*"]
    assert data["objects"] == ["contacts"]
    assert (data["active"], data["disabled_reason"], data["disabled_at"]) == (True, None, None)
    listed = admin_api.get("/api/webhooks").assert_envelope()
    assert listed.body["pagination"]["total"] == 1
    assert "secret" not in listed.data[0]
    shown = admin_api.get(f"/api/webhooks/{data['id']}").data
    assert "secret" not in shown and shown["description"] == "CRM sync"


def test_update_changes_only_what_is_sent(admin_api, endpoint, receiver):
    changed = admin_api.request(
        "PATCH", f"/api/webhooks/{endpoint['id']}", {"events": ["record.deleted"]}
    ).assert_envelope()
    assert changed.status == 200
    assert changed.data["events"] == ["record.deleted"] and changed.data["url"] == receiver.url


def test_delete_removes_the_endpoint(admin_api, endpoint):
    deleted = admin_api.request("DELETE", f"/api/webhooks/{endpoint['id']}").assert_envelope()
    assert deleted.status == 200 and deleted.data == {"id": endpoint["id"], "deleted": True}
    assert not Endpoint.objects.exists()


@pytest.mark.parametrize(
    ("body", "status", "errors"),
    [
        ({"events": ["*"]}, 400, "Required input is missing: url."),
        ({"url": "http://127.0.0.1:1/"}, 400, "Required input is missing: events."),
        (
            {"url": "http://127.0.0.1:1/", "events": ["record.exploded"]},
            422,
            "Unknown event type: record.exploded.",
        ),
        (
            {"url": "http://127.0.0.1:1/", "events": []},
            422,
            "'events' must be a non-empty list of event types.",
        ),
        (
            {"url": "http://127.0.0.1:1/", "events": ["*"], "objects": ["nope"]},
            422,
            "No object called nope exists in this organization.",
        ),
        (
            {"url": "http://127.0.0.1:1/", "events": ["*"], "colour": "red"},
            400,
            "Unknown input: colour. Valid inputs: url, events, objects, description, active.",
        ),
        (
            {"url": "x" * 2001, "events": ["*"]},
            422,
            "Invalid value for 'url': Ensure this field has no more than 2000 characters.",
        ),
        (
            {"url": 5, "events": ["*"]},
            422,
            "Invalid value for 'url': Not a valid string.",
        ),
        ([], 400, "The request body must be a JSON object."),
    ],
)
def test_bad_endpoint_inputs(admin_api, body, status, errors):
    response = admin_api.post("/api/webhooks", body).assert_envelope()
    assert (response.status, response.body["errors"]) == (status, errors)
    assert not Endpoint.objects.exists()


def test_malformed_json_and_nul_bytes_are_a_400(admin_api):
    assert admin_api.post("/api/webhooks", raw="{").assert_envelope().status == 400
    nul = admin_api.post("/api/webhooks", raw='{"url": "http://a\\u0000", "events": ["*"]}')
    assert nul.assert_envelope().status == 400
    assert not Endpoint.objects.exists()


def test_scopes(read_api, write_api, admin_api, endpoint):
    assert read_api.get("/api/webhooks").status == 200
    assert read_api.get(f"/api/webhooks/{endpoint['id']}/deliveries").status == 200
    assert read_api.get("/api/events").status == 200
    for api in (read_api, write_api):
        assert api.post("/api/webhooks", {"url": "http://x", "events": ["*"]}).status == 403
        assert api.post(f"/api/webhooks/{endpoint['id']}/rotate-secret").status == 403
        assert api.request("DELETE", f"/api/webhooks/{endpoint['id']}").status == 403


def test_another_orgs_endpoints_deliveries_and_events_are_a_404(
    schema, admin_api, other_admin_api, endpoint, receiver
):
    admin_api.post("/api/records/companies", {"name": "Acme"})
    run_worker()
    delivery = admin_api.get(f"/api/webhooks/{endpoint['id']}/deliveries").data[0]
    base = f"/api/webhooks/{endpoint['id']}"
    for method, path in [
        ("GET", base),
        ("PATCH", base),
        ("DELETE", base),
        ("POST", f"{base}/rotate-secret"),
        ("POST", f"{base}/test"),
        ("GET", f"{base}/deliveries"),
        ("POST", f"{base}/deliveries/{delivery['id']}/retry"),
    ]:
        response = other_admin_api.request(method, path, {} if method == "PATCH" else None)
        assert response.assert_envelope().status == 404, (method, path)
    assert other_admin_api.get("/api/webhooks").data == []
    assert other_admin_api.get("/api/events").data == []
    # Their own endpoint cannot reach our delivery either.
    theirs = other_admin_api.post("/api/webhooks", {"url": receiver.url, "events": ["*"]}).data
    retry = other_admin_api.post(f"/api/webhooks/{theirs['id']}/deliveries/{delivery['id']}/retry")
    assert retry.assert_envelope().status == 404
    assert admin_api.get("/api/webhooks/not-a-uuid").assert_envelope().status == 404


def test_the_event_feed_pages_newest_first_and_filters(schema, write_api):
    for name in ("a", "b", "c"):
        write_api.post("/api/records/companies", {"name": name})
    jane = write_api.post("/api/records/people", {"name": "Jane"}).data
    write_api.request("PATCH", f"/api/records/people/{jane['id']}", {"name": "Jane Roe"})
    everything = write_api.get("/api/events").assert_envelope()
    assert everything.body["pagination"]["total"] == 5
    assert [e["type"] for e in everything.data] == ["record.updated"] + ["record.created"] * 4
    assert [e["data"]["name"] for e in everything.data][:2] == ["Jane Roe", "Jane"]
    page = write_api.get("/api/events?limit=2&offset=2").assert_envelope()
    assert [e["data"]["name"] for e in page.data] == ["c", "b"]
    assert page.body["pagination"]["total"] == 5
    created = write_api.get("/api/events?type=record.created&object=companies").data
    assert [e["data"]["name"] for e in created] == ["c", "b", "a"]
    people = write_api.get("/api/events?object=people").data
    assert {e["object"] for e in people} == {"people"} and len(people) == 2
    # An unknown type is a 400 naming the types, not an empty list (it could never match).
    unknown = write_api.get("/api/events?type=record.nothing").assert_envelope()
    assert unknown.status == 400 and "record.created" in unknown.body["errors"]
    bad = write_api.get("/api/events?colour=red").assert_envelope()
    assert bad.status == 400
    assert write_api.get("/api/events?limit=-1").assert_envelope().status == 400


def test_list_queries_do_not_grow_with_the_rows(schema, admin_api, endpoint, receiver):
    def count(path):
        with CaptureQueriesContext(connection) as queries:
            assert admin_api.get(path).status == 200
        return len(queries)

    admin_api.post("/api/records/companies", {"name": "first"})
    run_worker()
    one = (count("/api/events"), count(f"/api/webhooks/{endpoint['id']}/deliveries"))
    receiver.answer(500, 500)
    for index in range(20):
        admin_api.post("/api/records/companies", {"name": f"c{index}"})
    run_worker()
    many = (count("/api/events"), count(f"/api/webhooks/{endpoint['id']}/deliveries"))
    assert one == many
    assert Event.objects.count() == 21
