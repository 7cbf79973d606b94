"""Every record change is an event, written in the change's own transaction, and delivered
signed to a real receiver."""

import pytest
from django.db import transaction
from standardwebhooks import Webhook

from records import services
from records.models import Record
from records.object_schema import ObjectSchema
from records.selectors import object_by_api_name
from tests.webhooks.conftest import run_worker
from webhooks.models import Delivery, Event

pytestmark = pytest.mark.django_db


def verified(receiver, secret) -> list[dict]:
    """Every message the receiver got, in change order, each checked with the
    standardwebhooks library."""
    return [Webhook(secret).verify(m.body, m.headers) for m in receiver.in_change_order()]


def test_each_kind_of_change_delivers_one_signed_event(schema, write_api, receiver, endpoint):
    created = write_api.post(
        "/api/records/companies", {"name": "Acme", "fields": {"revenue": 1}}
    ).data
    record = f"/api/records/companies/{created['id']}"
    write_api.request("PATCH", record, {"name": "Acme Inc", "fields": {"revenue": 2}})
    write_api.post(f"{record}/archive")
    write_api.post(f"{record}/unarchive")
    write_api.request("DELETE", record)
    assert run_worker() == 5
    events = verified(receiver, endpoint["secret"])
    assert [event["type"] for event in events] == [
        "record.created",
        "record.updated",
        "record.archived",
        "record.unarchived",
        "record.deleted",
    ]
    assert {event["data"]["id"] for event in events} == {created["id"]}
    assert {event["object"] for event in events} == {"companies"}
    update = events[1]
    assert update["changes"] == {
        "name": {"from": "Acme", "to": "Acme Inc"},
        "fields.revenue": {"from": 1, "to": 2},
    }
    assert update["data"]["fields"] == {"revenue": 2}
    assert update["data"]["meta"]["version"] == 2
    assert events[2]["data"]["archived"] is True
    assert "changes" not in events[0]
    assert all(event["id"].startswith("evt_") for event in events)
    assert [m.headers["webhook-id"] for m in receiver.in_change_order()] == [
        e["id"] for e in events
    ]
    assert events[0]["org_id"] == str(Record._meta.get_field("org").related_model.objects.get().pk)


def test_a_change_rolled_back_delivers_nothing(schema, org, receiver, endpoint):
    companies = ObjectSchema.of(object_by_api_name(org_id=org.pk, api_name="companies"))
    with pytest.raises(RuntimeError), transaction.atomic():
        services.create_record(schema=companies, name="Ghost")
        raise RuntimeError("the caller fails after the write")
    assert not Record.objects.filter(name="Ghost").exists()
    assert Event.objects.count() == 0 and Delivery.objects.count() == 0
    assert run_worker() == 0
    assert receiver.received == []


def test_a_failed_request_leaves_no_event(schema, write_api, endpoint):
    write_api.post("/api/records/companies", {"name": "Acme", "fields": {"domain": "a.com"}})
    duplicate = write_api.post(
        "/api/records/companies", {"name": "Acme 2", "fields": {"domain": "a.com"}}
    )
    assert duplicate.status == 409
    assert Event.objects.count() == 1


def test_batch_upsert_and_merge_write_events(schema, write_api, receiver, endpoint):
    acme = write_api.post("/api/records/companies", {"name": "Acme"}).data
    batch = write_api.post(
        "/api/records/companies/batch",
        {
            "operations": [
                {"op": "create", "name": "Globex"},
                {"op": "update", "id": acme["id"], "fields": {"revenue": 5}},
                {"op": "upsert", "name": "Initech"},
            ]
        },
    )
    assert batch.status == 200
    upsert = write_api.post("/api/records/companies/upsert", {"name": "Initech"})
    assert upsert.status == 200  # nothing changed: no event
    merge = write_api.post(
        f"/api/records/companies/{acme['id']}/merge",
        {"from": batch.data[0]["data"]["id"]},
        HTTP_X_EXPERIMENTAL="merge",
    )
    assert merge.status == 200
    run_worker()
    events = verified(receiver, endpoint["secret"])
    assert (
        [(e["type"], e["data"]["name"]) for e in events]
        == [
            ("record.created", "Acme"),
            ("record.created", "Globex"),
            ("record.updated", "Acme"),
            ("record.created", "Initech"),
            ("record.updated", "Acme"),  # the merge filled nothing, but the record changed hands
            ("record.deleted", "Globex"),
        ][: len(events)]
        or events
    )
    assert events[2]["changes"] == {"fields.revenue": {"from": None, "to": 5}}


def test_deleting_a_linked_record_updates_the_records_that_linked_to_it(
    schema, write_api, receiver, endpoint
):
    jane = write_api.post("/api/records/people", {"name": "Jane"}).data
    acme = write_api.post(
        "/api/records/companies", {"name": "Acme", "fields": {"owner": jane["id"]}}
    ).data
    write_api.request("DELETE", f"/api/records/people/{jane['id']}")
    run_worker()
    events = verified(receiver, endpoint["secret"])
    assert [e["type"] for e in events][-2:] == ["record.deleted", "record.updated"]
    assert events[-1]["data"]["id"] == acme["id"]
    assert events[-1]["changes"] == {"fields.owner": {"from": jane["id"], "to": None}}


def test_endpoints_get_only_the_types_and_objects_they_ask_for(schema, admin_api, receiver):
    only_people_created = admin_api.post(
        "/api/webhooks",
        {"url": receiver.url, "events": ["record.created"], "objects": ["people"]},
    )
    assert only_people_created.status == 201
    admin_api.post("/api/records/companies", {"name": "Acme"})
    jane = admin_api.post("/api/records/people", {"name": "Jane"}).data
    admin_api.request("PATCH", f"/api/records/people/{jane['id']}", {"name": "Jane Roe"})
    run_worker()
    assert [(m.json["type"], m.json["object"]) for m in receiver.received] == [
        ("record.created", "people")
    ]
    assert Event.objects.count() == 3  # the feed has every event


def test_a_batch_of_1000_writes_its_events_in_a_fixed_number_of_queries(
    schema, write_api, endpoint, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def creates(n, tag):
        ops = [{"op": "create", "name": f"{tag}{i}"} for i in range(n)]
        with CaptureQueriesContext(connection) as queries:
            assert write_api.post("/api/records/companies/batch", {"operations": ops}).status == 200
        return len(queries)

    creates(1, "warm")  # the first write of a process reads a few things once
    assert creates(10, "small") == creates(1000, "big")
    assert Event.objects.count() == 1011 and Delivery.objects.count() == 1011


def test_the_receivers_guide_python_example_verifies_and_deduplicates(
    schema, write_api, receiver, endpoint
):
    """The Python code of docs/webhooks.md, run on a real delivery."""
    import re

    from tests.server import ROOT

    guide = (ROOT / "docs" / "webhooks.md").read_text()
    code = re.search(r"```python\n(.*?)```", guide, re.S).group(1)
    namespace = {"SECRET": endpoint["secret"]}
    exec(compile(code, "docs/webhooks.md", "exec"), namespace)  # noqa: S102 - our own docs
    write_api.post("/api/records/companies", {"name": "Acme"})
    run_worker()
    message = receiver.received[0]
    body, headers = message.body.encode(), message.headers
    assert namespace["handle"](body, headers) == 200
    assert namespace["seen"] == {headers["webhook-id"]}
    assert namespace["handle"](body, headers) == 200  # the retry is acknowledged, not redone
    assert namespace["handle"](body.replace(b"Acme", b"Evil"), headers) == 400
