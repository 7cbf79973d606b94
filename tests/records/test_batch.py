"""Batch: many operations in one request, atomic by default, with bulk statements."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from records.models import Record, UniqueValue

pytestmark = pytest.mark.django_db

BATCH = "/api/records/companies/batch"
PEOPLE_BATCH = "/api/records/people/batch"


def batch(api, operations, path=BATCH, **body):
    return api.post(path, {"operations": operations, **body}).assert_envelope()


def create(api, object_name="companies", **body):
    response = api.post(f"/api/records/{object_name}", body).assert_envelope()
    assert response.status == 201, response.body
    return response.data


def stored(record_id):
    return Record.objects.get(pk=record_id)


def test_creates_answer_one_result_per_operation_in_order(schema, write_api):
    response = batch(
        write_api,
        [
            {"op": "create", "name": "Acme", "fields": {"domain": "acme.com", "revenue": 10}},
            {"op": "create", "name": "Globex"},
        ],
    )
    assert response.status == 200
    first, second = response.data
    assert (first["index"], first["status"], first["created"]) == (0, 201, True)
    assert first["data"]["fields"] == {"domain": "acme.com", "revenue": 10}
    assert first["data"]["meta"]["version"] == 1
    assert (second["index"], second["data"]["name"]) == (1, "Globex")
    assert stored(first["data"]["id"]).values != {}
    assert UniqueValue.objects.filter(record_id=first["data"]["id"]).count() == 1
    fetched = write_api.get(f"/api/records/companies/{first['data']['id']}").data
    assert fetched == first["data"]


def test_every_kind_of_operation_in_one_batch(schema, write_api):
    jane = create(write_api, "people", name="Jane", fields={"email": "jane@example.com"})
    to_update = create(write_api, name="Old name", fields={"revenue": 1})
    to_archive = create(write_api, name="Archive me")
    to_unarchive = create(write_api, name="Unarchive me")
    write_api.post(f"/api/records/companies/{to_unarchive['id']}/archive")
    to_delete = create(write_api, name="Delete me")
    matched = create(write_api, name="Matched", fields={"domain": "matched.com"})
    response = batch(
        write_api,
        [
            {"op": "create", "name": "New", "fields": {"owner": jane["id"]}},
            {"op": "update", "id": to_update["id"], "name": "New name", "fields": {"revenue": 2}},
            {"op": "upsert", "name": "Fresh", "fields": {"revenue": 3}},
            {
                "op": "upsert",
                "match_on": "domain",
                "fields": {"domain": "matched.com", "tier": "a"},
            },
            {"op": "archive", "id": to_archive["id"]},
            {"op": "unarchive", "id": to_unarchive["id"]},
            {"op": "delete", "id": to_delete["id"]},
        ],
    )
    assert response.status == 200, response.body
    results = response.data
    assert [r["status"] for r in results] == [201, 200, 201, 200, 200, 200, 200]
    assert [r["created"] for r in results] == [True, False, True, False, False, False, False]
    assert results[0]["data"]["fields"]["owner"] == {
        "id": jane["id"],
        "object": "people",
        "name": "Jane",
    }
    assert results[1]["data"]["name"] == "New name"
    assert results[1]["data"]["fields"] == {"revenue": 2}
    assert results[1]["data"]["meta"]["version"] == 2
    assert results[3]["data"]["id"] == matched["id"]
    assert results[3]["data"]["fields"] == {"domain": "matched.com", "tier": "a"}
    assert results[4]["data"]["archived"] is True
    assert results[5]["data"]["archived"] is False
    assert results[6]["data"] == {"id": to_delete["id"], "deleted": True}
    assert not Record.objects.filter(pk=to_delete["id"]).exists()
    assert stored(to_archive["id"]).archived_at is not None
    assert stored(to_unarchive["id"]).archived_at is None
    assert stored(to_update["id"]).version == 2
    # A repeated upsert of the same values changes nothing: no new version.
    again = batch(
        write_api,
        [{"op": "upsert", "match_on": "domain", "fields": {"domain": "matched.com", "tier": "a"}}],
    )
    assert again.data[0]["status"] == 200 and again.data[0]["data"]["meta"]["version"] == 2


def test_an_atomic_batch_with_an_invalid_operation_writes_nothing(schema, write_api):
    existing = create(write_api, name="Existing", fields={"domain": "taken.com", "revenue": 1})
    before = Record.objects.count()
    response = batch(
        write_api,
        [
            {"op": "create", "name": "Fine"},
            {"op": "update", "id": existing["id"], "fields": {"revenue": 99}},
            {"op": "create", "name": "Bad", "fields": {"revenue": "lots", "nope": 1}},
            {"op": "create", "name": "Dup", "fields": {"domain": "taken.com"}},
            {"op": "delete", "id": "0192c1e2-0000-7000-8000-000000000000"},
            {"op": "update"},
        ],
    )
    assert response.status == 422
    assert response.body["errors"] == (
        "4 operations are invalid (2, 3, 4, 5); nothing was written. See errorDetail."
    )
    detail = response.body["errorDetail"]
    assert detail["operations.2.fields.revenue"] == ["Expected a number."]
    assert detail["operations.2.fields.nope"][0].startswith("Unknown field. Valid fields: domain")
    assert detail["operations.3.fields.domain"] == [f"Already used by record {existing['id']}."]
    assert detail["operations.4.id"] == ["No companies record with this id."]
    assert detail["operations.5.id"] == ["Required."]
    assert detail["operations.5"] == ["Required input is missing: id."]
    assert not any(key.startswith(("operations.0", "operations.1")) for key in detail)
    assert Record.objects.count() == before
    assert write_api.get(f"/api/records/companies/{existing['id']}").data["fields"]["revenue"] == 1


def test_a_single_invalid_operation_is_named_in_the_message(schema, write_api):
    response = batch(write_api, [{"op": "create", "name": "A"}, {"op": "create"}])
    assert response.status == 422
    assert response.body["errors"] == (
        "Operation 1 is invalid: Required input is missing: name. Nothing was written."
    )
    assert response.body["errorDetail"] == {
        "operations.1": ["Required input is missing: name."],
        "operations.1.name": ["Required."],
    }
    assert Record.objects.count() == 0


def test_a_non_atomic_batch_reports_each_operation(schema, write_api, other_admin_api):
    foreign = other_admin_api.post("/api/objects", {"api_name": "companies"})
    assert foreign.status == 201
    theirs = create(other_admin_api, name="Theirs")
    existing = create(write_api, name="Existing", fields={"domain": "taken.com"})
    response = batch(
        write_api,
        [
            {"op": "create", "name": "Good"},
            {"op": "create", "name": "Bad type", "fields": {"employees": 1.5}},
            {"op": "create", "name": "Dup", "fields": {"domain": "taken.com"}},
            {"op": "update", "id": theirs["id"], "fields": {"revenue": 1}},
            {"op": "explode"},
            {"op": "update", "id": existing["id"], "fields": {"revenue": 7}},
        ],
        atomic=False,
    )
    assert response.status == 200
    results = response.data
    assert [r["status"] for r in results] == [201, 422, 409, 404, 400, 200]
    assert results[1] == {
        "index": 1,
        "status": 422,
        "errors": "Invalid value for 'fields.employees': Expected an integer.",
        "errorDetail": {"fields.employees": ["Expected an integer."]},
    }
    assert results[2]["errorDetail"] == {
        "fields.domain": [f"Already used by record {existing['id']}."],
        "existing_id": existing["id"],
    }
    assert results[3]["errors"] == f"No companies record with id '{theirs['id']}'."
    assert results[4]["errors"] == (
        "Invalid value for 'op': expected one of create, update, upsert, archive, unarchive, "
        "delete."
    )
    assert "data" not in results[1] and "created" not in results[1]
    assert results[5]["data"]["fields"]["revenue"] == 7
    assert Record.objects.filter(name="Good").count() == 1
    assert not Record.objects.filter(name__in=["Bad type", "Dup"]).exists()
    assert stored(theirs["id"]).values == {}


def test_more_than_1000_operations_is_a_400(schema, write_api):
    response = batch(write_api, [{"op": "create", "name": f"c{i}"} for i in range(1001)])
    assert response.status == 400
    assert response.body["errors"] == (
        "Invalid value for 'operations': at most 1000 operations in one batch; 1001 were sent."
    )
    assert Record.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "status", "errors"),
    [
        ([], 400, "The request body must be a JSON object."),
        ({}, 400, "Required input is missing: operations."),
        ({"operations": {}}, 400, "Invalid value for 'operations': expected a list of operations."),
        (
            {"operations": [], "atomic": "yes"},
            400,
            "Invalid value for 'atomic': expected true or false.",
        ),
        (
            {"operations": [], "mode": "fast"},
            400,
            "Unknown input: mode. Valid inputs: atomic, operations.",
        ),
    ],
)
def test_malformed_batches_are_a_400(schema, write_api, body, status, errors):
    response = write_api.post(BATCH, body).assert_envelope()
    assert (response.status, response.body["errors"]) == (status, errors)


@pytest.mark.parametrize(
    ("operation", "errors"),
    [
        ("create", "An operation must be a JSON object."),
        ({"name": "x"}, "Required input is missing: op."),
        (
            {"op": "create", "id": "x"},
            "Unknown input for 'create': id. Valid inputs: op, name, fields.",
        ),
        ({"op": "delete", "id": 7}, "Invalid value for 'id': expected a record id (a string)."),
        (
            {"op": "delete", "id": "x" * 256},
            "Invalid value for 'id': expected a record id (a string).",
        ),
        ({"op": "create", "name": 5}, "'name' must be a string."),
        ({"op": "create", "name": "x" * 1001}, "'name' is longer than 1000 characters."),
        (
            {"op": "upsert", "name": "x", "match_on": 1},
            "Invalid value for 'match_on': expected a field's api_name.",
        ),
        (
            {"op": "upsert", "match_on": "revenue", "fields": {"revenue": 1}},
            "Invalid value for 'match_on': expected a unique field: name, domain.",
        ),
        (
            {"op": "create", "name": "x", "fields": []},
            "'fields' must be an object keyed by field id.",
        ),
        ({"op": "archive", "id": "not-a-uuid"}, "No companies record with id 'not-a-uuid'."),
    ],
)
def test_bad_operations_are_reported_by_index(schema, write_api, operation, errors):
    response = batch(write_api, [{"op": "create", "name": "ok"}, operation], atomic=False)
    assert response.status == 200
    assert response.data[0]["status"] == 201
    assert response.data[1]["errors"] == errors
    atomic = batch(write_api, [operation])
    assert atomic.status == 422
    assert atomic.body["errorDetail"]["operations.0"] == [errors]


def test_nul_bytes_and_malformed_json_are_a_400(schema, write_api):
    nul = write_api.post(BATCH, raw='{"operations": [{"op": "create", "name": "a\\u0000"}]}')
    assert nul.assert_envelope().status == 400
    broken = write_api.post(BATCH, raw='{"operations": [').assert_envelope()
    assert broken.status == 400
    assert Record.objects.count() == 0


def test_a_read_key_cannot_batch(schema, read_api):
    response = batch(read_api, [{"op": "create", "name": "x"}])
    assert response.status == 403


def test_one_operation_per_record(schema, write_api):
    acme = create(write_api, name="Acme")
    response = batch(
        write_api,
        [
            {"op": "update", "id": acme["id"], "fields": {"revenue": 1}},
            {"op": "archive", "id": acme["id"]},
            {"op": "upsert", "name": "Acme", "fields": {"revenue": 2}},
            {"op": "create", "name": "Twin"},
            {"op": "upsert", "name": "Twin"},
            {"op": "create", "name": "Same", "fields": {"domain": "same.com"}},
            {"op": "create", "name": "Same 2", "fields": {"domain": "same.com"}},
        ],
        atomic=False,
    )
    results = response.data
    assert [r["status"] for r in results] == [200, 422, 422, 201, 422, 201, 409]
    assert results[1]["errors"] == (
        f"Operation 0 in this batch already changes the record {acme['id']}; send one "
        "operation per record."
    )
    assert results[4]["errorDetail"] == {"name": ["Also written by operation 3."]}
    assert results[6]["errorDetail"] == {"fields.domain": ["Also set by operation 5."]}
    assert stored(acme["id"]).archived_at is None


def test_updating_an_archived_record_is_a_409(schema, write_api):
    old = create(write_api, name="Old")
    write_api.post(f"/api/records/companies/{old['id']}/archive")
    response = batch(write_api, [{"op": "update", "id": old["id"], "name": "New"}], atomic=False)
    assert response.data[0]["status"] == 409
    assert stored(old["id"]).name == "Old"


def test_another_orgs_object_is_a_404(schema, other_admin_api):
    response = batch(other_admin_api, [{"op": "create", "name": "x"}])
    assert response.status == 404


def _queries(api, operations, path=BATCH) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = api.post(path, {"operations": operations}).assert_envelope()
    assert response.status == 200, response.body
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_the_operations(schema, write_api):
    people = [create(write_api, "people", name=f"p{i}")["id"] for i in range(2)]
    write_api.get("/api/records/companies")  # the process reads the object's schema once

    def creates(n, tag):
        return [
            {
                "op": "create",
                "name": f"{tag}{i}",
                "fields": {"domain": f"{tag}{i}.com", "owner": people[i % 2], "tier": "a"},
            }
            for i in range(n)
        ]

    assert _queries(write_api, creates(10, "small")) == _queries(write_api, creates(1000, "big"))
    small = list(Record.objects.filter(name__startswith="small").values_list("id", flat=True))
    big = list(Record.objects.filter(name__startswith="big").values_list("id", flat=True))

    def mixed(ids, tag):
        upserts = max(1, len(ids) // 10)
        ids = ids[: len(ids) - upserts]
        third = len(ids) // 3
        return (
            [{"op": "update", "id": str(i), "fields": {"revenue": 5}} for i in ids[:third]]
            + [{"op": "archive", "id": str(i)} for i in ids[third : 2 * third]]
            + [{"op": "delete", "id": str(i)} for i in ids[2 * third :]]
            + [{"op": "upsert", "name": f"{tag}-up{i}"} for i in range(upserts)]
        )

    assert _queries(write_api, mixed(small, "small")) == _queries(write_api, mixed(big, "big"))
    people_small = _queries(write_api, [{"op": "delete", "id": people[0]}], path=PEOPLE_BATCH)
    more = [create(write_api, "people", name=f"q{i}")["id"] for i in range(20)]
    people_big = _queries(
        write_api,
        [{"op": "delete", "id": i} for i in [people[1], *more]],
        path=PEOPLE_BATCH,
    )
    assert people_small == people_big


def test_batch_results_have_the_status_each_operation_has_alone(schema, write_api):
    old = create(write_api, name="Old")
    write_api.post(f"/api/records/companies/{old['id']}/archive")
    operations = [
        {"op": "upsert", "name": "Old", "fields": {"revenue": "lots"}},
        {"op": "create", "fields": {"owner": "0192c1e2-0000-7000-8000-000000000000"}},
    ]
    alone = [
        write_api.post(
            "/api/records/companies/upsert", {"name": "Old", "fields": {"revenue": "lots"}}
        ).status,
        write_api.post("/api/records/companies", {"fields": operations[1]["fields"]}).status,
    ]
    together = batch(write_api, operations, atomic=False)
    assert [r["status"] for r in together.data] == alone == [409, 400]


def test_a_batch_stores_every_json_value_exactly_as_a_single_write_does(schema, write_api):
    """The batch writes its rows with COPY and orjson; what orjson cannot write as json.dumps
    does (an integer beyond 64 bits) still goes in exactly, and read back equals what was
    sent, in the answer, on a GET and in the record's event."""
    extra = {
        "big": 123456789012345678901234567890,
        "text": 'Zürich ✓ 𝄞 "quoted" \\ back',
        "nested": [1.5, None, True, {"deep": [0.1, -2, 1e-7]}],
    }
    fields = {"extra": extra, "last_contact": "2026-01-02T03:04:05.678+02:00", "employees": 7}
    response = batch(write_api, [{"op": "create", "name": "Exact", "fields": fields}])
    assert response.status == 200, response.body
    created = response.data[0]["data"]
    single = create(write_api, name="Exact", fields=fields)
    assert created["fields"] == single["fields"]
    assert created["fields"]["extra"] == extra
    assert created["fields"]["last_contact"] == "2026-01-02T01:04:05.678000Z"
    fetched = write_api.get(f"/api/records/companies/{created['id']}").data
    assert fetched == created
    events = write_api.get("/api/events?type=record.created").data
    event = next(e for e in events if e["data"]["id"] == created["id"])
    assert event["data"] == created
