"""Batches that move links and unique values between records: deletes that free them, swaps,
links to records the batch deletes, conflicts only the database sees."""

import pytest

from records.models import Record, UniqueValue
from tests.records.test_batch import PEOPLE_BATCH, batch, create, stored

pytestmark = pytest.mark.django_db


def test_upsert_conflicts_are_reported_per_operation(schema, write_api):
    create(write_api, name="Twin")
    create(write_api, name="Twin")
    old = create(write_api, name="Old")
    write_api.post(f"/api/records/companies/{old['id']}/archive")
    response = batch(
        write_api,
        [{"op": "upsert", "name": "Twin"}, {"op": "upsert", "name": "Old"}],
        atomic=False,
    )
    twin, archived = response.data
    assert twin["status"] == 409 and len(twin["errorDetail"]["candidates"]) == 2
    assert archived["status"] == 409
    assert archived["errorDetail"] == {"existing_id": old["id"], "archived": True}


def test_deletes_clear_links_to_the_deleted_records(schema, write_api):
    jane = create(write_api, "people", name="Jane")
    john = create(write_api, "people", name="John")
    single = create(write_api, name="Single", fields={"owner": jane["id"]})
    many = create(write_api, name="Many", fields={"board": [jane["id"], john["id"]]})
    response = batch(write_api, [{"op": "delete", "id": jane["id"]}], path=PEOPLE_BATCH)
    assert response.data[0]["data"] == {"id": jane["id"], "deleted": True}
    assert stored(single["id"]).values == {}
    assert stored(single["id"]).version == 2
    board = write_api.get(f"/api/records/companies/{many['id']}").data["fields"]["board"]
    assert [link["id"] for link in board] == [john["id"]]
    assert stored(many["id"]).version == 2


def test_a_record_the_batch_updates_loses_its_link_to_a_record_the_batch_deletes(schema):
    schema.post(
        "/api/objects/people/fields",
        {"api_name": "mentor", "type": "relationship", "options": {"target": "people"}},
    )
    jane = create(schema, "people", name="Jane")
    ann = create(schema, "people", name="Ann", fields={"mentor": jane["id"]})
    response = batch(
        schema,
        [
            {"op": "update", "id": ann["id"], "name": "Ann Roe"},
            {"op": "delete", "id": jane["id"]},
        ],
        path=PEOPLE_BATCH,
    )
    updated = response.data[0]["data"]
    assert (updated["name"], updated["fields"], updated["meta"]["version"]) == ("Ann Roe", {}, 2)
    assert stored(ann["id"]).version == 2 and stored(ann["id"]).values == {}


def test_a_batch_cannot_link_to_a_record_it_deletes(schema, write_api):
    jane = create(write_api, "people", name="Jane")
    response = batch(
        write_api,
        [{"op": "delete", "id": jane["id"]}, {"op": "create", "name": "Jane's", "fields": {}}],
        path=PEOPLE_BATCH,
    )
    assert response.status == 200
    linking = batch(write_api, [{"op": "create", "name": "Acme", "fields": {"owner": jane["id"]}}])
    assert linking.status == 422
    assert linking.body["errorDetail"]["operations.0.fields.owner"] == [
        f"No people record with id {jane['id']}."
    ]


def test_a_unique_value_freed_by_a_delete_can_be_taken_in_the_same_batch(schema, write_api):
    jane = create(write_api, "people", name="Jane", fields={"email": "jane@example.com"})
    ann = create(write_api, "people", name="Ann")
    response = batch(
        write_api,
        [
            {"op": "update", "id": ann["id"], "fields": {"email": "jane@example.com"}},
            {"op": "delete", "id": jane["id"]},
        ],
        path=PEOPLE_BATCH,
    )
    assert [r["status"] for r in response.data] == [200, 200]
    assert response.data[0]["data"]["fields"] == {"email": "jane@example.com"}
    claim = UniqueValue.objects.get(value="jane@example.com")
    assert str(claim.record_id) == ann["id"]


def test_unique_values_can_move_between_records_in_one_batch(schema, write_api):
    first = create(write_api, name="First", fields={"domain": "one.com"})
    second = create(write_api, name="Second", fields={"domain": "two.com"})
    response = batch(
        write_api,
        [
            {"op": "update", "id": first["id"], "fields": {"domain": "two.com"}},
            {"op": "update", "id": second["id"], "fields": {"domain": "one.com"}},
        ],
    )
    assert response.status == 200, response.body
    assert [r["data"]["fields"]["domain"] for r in response.data] == ["two.com", "one.com"]
    assert write_api.get("/api/records/companies/lookup?domain=one.com").data["id"] == second["id"]
    assert write_api.get("/api/records/companies/lookup?domain=two.com").data["id"] == first["id"]


def test_a_conflict_the_checks_cannot_foresee_replays_one_by_one(schema, write_api):
    """Operation 0 fails on c.com, so a.com is not freed for operation 1: the bulk write hits
    the constraint and the batch is replayed through the single-record services."""
    first = create(write_api, name="A", fields={"domain": "a.com"})
    holder = create(write_api, name="C", fields={"domain": "c.com"})
    response = batch(
        write_api,
        [
            {"op": "update", "id": first["id"], "fields": {"domain": "c.com"}},
            {"op": "create", "name": "B", "fields": {"domain": "a.com"}},
            {"op": "create", "name": "D", "fields": {"domain": "d.com"}},
        ],
        atomic=False,
    )
    results = response.data
    assert [r["status"] for r in results] == [409, 409, 201]
    assert results[0]["errorDetail"]["existing_id"] == holder["id"]
    assert results[1]["errorDetail"]["existing_id"] == first["id"]
    assert not Record.objects.filter(name="B").exists()
    assert Record.objects.filter(name="D").exists()
    atomic = batch(
        write_api,
        [
            {"op": "update", "id": first["id"], "fields": {"domain": "c.com"}},
            {"op": "create", "name": "B", "fields": {"domain": "a.com"}},
            {"op": "create", "name": "E"},
        ],
    )
    assert atomic.status == 422
    assert atomic.body["errorDetail"]["operations.0.fields.domain"] == [
        f"Already used by record {holder['id']}."
    ]
    assert not Record.objects.filter(name="E").exists()


def test_contacts_by_email_in_a_batch(write_api):
    created = batch(
        write_api,
        [
            {"op": "create", "fields": {"email": "Jane@Example.com", "first_name": "Jane"}},
            {"op": "upsert", "fields": {"email": "john@example.com", "first_name": "John"}},
            {"op": "create", "fields": {"email": "JANE@example.com"}},
        ],
        path="/api/records/contacts/batch",
        atomic=False,
    )
    assert [r["status"] for r in created.data] == [201, 201, 409]
    changed = batch(
        write_api,
        [
            {"op": "update", "id": "JANE@example.COM", "fields": {"last_name": "Roe"}},
            {"op": "upsert", "fields": {"email": "JOHN@example.com", "last_name": "Doe"}},
            {"op": "archive", "id": "nobody@example.com"},
            {"op": "create", "name": "Named", "fields": {"email": "n@example.com"}},
        ],
        path="/api/records/contacts/batch",
        atomic=False,
    )
    results = changed.data
    assert [r["status"] for r in results] == [200, 200, 404, 400]
    assert results[0]["data"]["name"] == "Jane Roe"
    assert results[1]["data"]["name"] == "John Doe" and results[1]["created"] is False


def test_unique_values_are_the_only_rows_that_reference_records():
    """A batch deletes records with one plain DELETE after clearing their unique values; a new
    table referencing records must be cleared there too. The value index is cleared by the
    records table's delete trigger (tests/records/test_value_index.py)."""
    reverse = [
        field.related_model
        for field in Record._meta.get_fields(include_hidden=True)
        if field.auto_created and not field.concrete
    ]
    assert sorted(model.__name__ for model in reverse) == ["IndexedValue", "UniqueValue"]


def test_a_failing_operation_does_not_spoil_a_swap_or_a_freed_value(schema, write_api):
    """A value let go by an operation that fails is not free; the others still go through
    in one bulk write, in any order."""
    ids = {
        domain: create(write_api, name=domain, fields={"domain": domain})["id"]
        for domain in ("a.com", "c.com", "x.com", "y.com", "z.com")
    }
    response = batch(
        write_api,
        [
            {"op": "create", "name": "New Z", "fields": {"domain": "z.com"}},
            {"op": "delete", "id": ids["z.com"]},
            {"op": "update", "id": ids["x.com"], "fields": {"domain": "y.com"}},
            {"op": "update", "id": ids["y.com"], "fields": {"domain": "x.com"}},
            {"op": "update", "id": ids["a.com"], "fields": {"domain": "c.com"}},
            {"op": "create", "name": "B", "fields": {"domain": "a.com"}},
        ],
        atomic=False,
    )
    assert [r["status"] for r in response.data] == [201, 200, 200, 200, 409, 409]
    assert response.data[4]["errorDetail"]["existing_id"] == ids["c.com"]
    assert response.data[5]["errorDetail"]["existing_id"] == ids["a.com"]
    owners = {
        claim.value: str(claim.record_id)
        for claim in UniqueValue.objects.filter(field__api_name="domain")
    }
    assert owners["x.com"] == ids["y.com"] and owners["y.com"] == ids["x.com"]
    assert owners["z.com"] == response.data[0]["data"]["id"]
    assert owners["a.com"] == ids["a.com"] and "B" not in [r.name for r in Record.objects.all()]


def test_deleting_a_record_releases_unique_links_to_it(schema, admin_api):
    admin_api.post(
        "/api/objects/companies/fields",
        {
            "api_name": "primary",
            "type": "relationship",
            "unique": True,
            "options": {"target": "people"},
        },
    )
    jane = create(admin_api, "people", name="Jane")
    john = create(admin_api, "people", name="John")
    acme = create(admin_api, name="Acme", fields={"primary": jane["id"]})
    globex = create(admin_api, name="Globex", fields={"primary": john["id"]})
    batch(admin_api, [{"op": "delete", "id": jane["id"]}], path=PEOPLE_BATCH)
    admin_api.request("DELETE", f"/api/records/people/{john['id']}")
    assert not UniqueValue.objects.filter(record_id__in=[acme["id"], globex["id"]]).exists()
    missing = admin_api.get(f"/api/records/companies/lookup?primary={jane['id']}")
    assert missing.assert_envelope().status == 404


def test_many_links_in_one_batch_are_checked_without_a_crash(schema, write_api):
    missing = [f"0192c1e2-0000-7000-8000-{index:012d}" for index in range(12_000)]
    operations = [
        {"op": "create", "name": f"c{index}", "fields": {"board": missing[index::100]}}
        for index in range(100)
    ]
    response = batch(write_api, operations)
    assert response.status == 422
    assert response.body["errorDetail"]["operations.0.fields.board"] == [
        f"No people record with id {missing[0]}."
    ]
