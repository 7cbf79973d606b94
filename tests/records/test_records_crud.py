"""Records through HTTP: create, read, sparse update, archive, delete; typed values."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from records.models import Record

pytestmark = pytest.mark.django_db


def create(api, object_name="companies", **body):
    response = api.post(f"/api/records/{object_name}", body).assert_envelope()
    assert response.status == 201, response.body
    return response.data


def test_create_returns_201_with_normalized_values_and_meta(schema, write_api):
    data = create(
        write_api,
        name="Acme",
        fields={
            "domain": "acme.com",
            "revenue": "1200000.50",
            "employees": 12.0,
            "public": "yes",
            "founded": "2001-02-03",
            "last_contact": "2026-01-01T12:30:00+02:00",
            "email": "Ops@ACME.com",
            "phone": "+1 (555) 010-0000",
            "website": "https://acme.com",
            "tier": "b",
            "tags": ["z", "x", "x"],
            "extra": {"a": [1, 2]},
            "notes": "long\ntext",
        },
    )
    assert data["object"] == "companies" and data["name"] == "Acme"
    assert data["fields"] == {
        "domain": "acme.com",
        "revenue": 1200000.5,
        "employees": 12,
        "public": True,
        "founded": "2001-02-03",
        "last_contact": "2026-01-01T10:30:00.000000Z",
        "email": "Ops@acme.com",
        "phone": "+1 (555) 010-0000",
        "website": "https://acme.com",
        "notes": "long\ntext",
        "tier": "b",
        "tags": ["x", "z"],
        "extra": {"a": [1, 2]},
    }
    assert data["archived"] is False
    assert data["meta"]["version"] == 1 and data["meta"]["archived_at"] is None


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("revenue", "lots", "Expected a number."),
        ("revenue", True, "Expected a number."),
        ("employees", 1.5, "Expected an integer."),
        ("employees", 2**60, "Expected an integer between -9007199254740991 and 9007199254740991."),
        ("revenue", "0.1e999999999", "Expected a number between -1e+300 and 1e+300."),
        ("revenue", "Infinity", "Expected a finite number."),
        ("revenue", "sNaN", "Expected a finite number."),
        ("revenue", 10**400, "Expected a number between -1e+300 and 1e+300."),
        ("public", "maybe", "Expected true or false."),
        ("founded", "2001-13-01", "Expected a date as YYYY-MM-DD."),
        (
            "last_contact",
            "yesterday",
            "Expected a date and time in ISO 8601, e.g. 2026-01-01T10:30:00Z.",
        ),
        ("email", "not-an-email", "'not-an-email' is not a valid email address."),
        ("phone", "call me", "Expected a phone number: digits, spaces and + ( ) . - / only."),
        ("website", "ftp://x.com", "'ftp://x.com' is not a valid http(s) URL."),
        ("tier", "d", "'d' is not one of the choices: a, b, c."),
        ("tags", ["x", "q"], "'q' is not one of the choices: x, y, z."),
        ("owner", "not-an-id", "'not-an-id' is not a record id."),
        (
            "owner",
            "0192c1e2-0000-7000-8000-000000000000",
            "No people record with id 0192c1e2-0000-7000-8000-000000000000.",
        ),
        ("domain", "x" * 10001, "Expected at most 10000 characters."),
        ("domain", {"a": 1}, "Expected a string."),
        ("notes", "x" * 100_001, "Expected at most 100000 characters."),
        ("notes", ["x"], "Expected a string."),
        ("extra", {"blob": "x" * 100_000}, "Expected at most 100000 bytes of JSON."),
        (
            "board",
            "0192c1e2-0000-7000-8000-000000000000",
            "No people record with id 0192c1e2-0000-7000-8000-000000000000.",
        ),
        ("board", {"id": "x"}, "Expected a list of record ids."),
        ("tags", "q", "'q' is not one of the choices: x, y, z."),
        ("colour", "red", None),
    ],
)
def test_invalid_values_are_a_422_naming_the_field_and_write_nothing(
    schema, write_api, field, value, problem
):
    response = write_api.post(
        "/api/records/companies", {"name": "Acme", "fields": {field: value}}
    ).assert_envelope()
    assert response.status == 422, response.body
    detail = response.body["errorDetail"]
    assert list(detail) == [f"fields.{field}"]
    if problem:
        assert detail[f"fields.{field}"] == [problem]
        assert response.body["errors"] == f"Invalid value for 'fields.{field}': {problem}"
    else:
        assert detail[f"fields.{field}"][0].startswith("Unknown field. Valid fields: domain,")
    assert Record.objects.count() == 0


def test_missing_name_is_a_400(schema, write_api):
    response = write_api.post("/api/records/companies", {"fields": {}}).assert_envelope()
    assert response.status == 400
    assert response.body["missingInputVars"] == ["name"]


def test_required_field_missing_is_a_400_with_missing_input_vars(schema, admin_api):
    admin_api.request("PATCH", "/api/objects/companies/fields/domain", {"required": True})
    response = admin_api.post("/api/records/companies", {"name": "Acme"}).assert_envelope()
    assert response.status == 400
    assert response.body["missingInputVars"] == ["fields.domain"]
    assert Record.objects.count() == 0


def test_retrieve_update_sparse_and_null_clears(schema, write_api):
    record = create(write_api, name="Acme", fields={"revenue": 5, "tier": "a"})
    url = f"/api/records/companies/{record['id']}"
    updated = write_api.request("PATCH", url, {"fields": {"revenue": 7}}).assert_envelope()
    assert updated.status == 200
    assert updated.data["fields"] == {"revenue": 7, "tier": "a"}
    assert updated.data["meta"]["version"] == 2
    cleared = write_api.request("PUT", url, {"fields": {"tier": None}, "name": "Acme Inc"})
    assert cleared.data["fields"] == {"revenue": 7} and cleared.data["name"] == "Acme Inc"
    assert cleared.data["meta"]["version"] == 3
    assert cleared.data["meta"]["updated_at"] > record["meta"]["updated_at"]
    fetched = write_api.get(url).assert_envelope()
    assert fetched.data == cleared.data


def test_delete_answers_200_with_id(schema, write_api):
    record = create(write_api, name="Acme")
    response = write_api.request("DELETE", f"/api/records/companies/{record['id']}")
    assert response.assert_envelope().status == 200
    assert response.data == {"id": record["id"], "deleted": True}
    assert write_api.get(f"/api/records/companies/{record['id']}").status == 404


def test_archive_and_unarchive_are_idempotent(schema, write_api):
    record = create(write_api, name="Acme")
    url = f"/api/records/companies/{record['id']}"
    first = write_api.post(f"{url}/archive").assert_envelope()
    again = write_api.post(f"{url}/archive").assert_envelope()
    assert first.status == again.status == 200
    assert first.data["archived"] is True and again.data["meta"] == first.data["meta"]
    assert write_api.get("/api/records/companies").data == []
    assert [r["id"] for r in write_api.get("/api/records/companies?archived=true").data] == [
        record["id"]
    ]
    assert len(write_api.get("/api/records/companies?archived=all").data) == 1
    assert write_api.get(url).data["archived"] is True  # retrieve shows archived records
    back = write_api.post(f"{url}/unarchive").assert_envelope()
    assert back.data["archived"] is False and back.data["meta"]["version"] == 3
    assert write_api.post(f"{url}/unarchive").data["meta"]["version"] == 3
    assert len(write_api.get("/api/records/companies").data) == 1


def test_changing_an_archived_record_is_a_409_and_changes_nothing(schema, write_api):
    record = create(write_api, name="Acme", fields={"revenue": 1})
    url = f"/api/records/companies/{record['id']}"
    write_api.post(f"{url}/archive")
    response = write_api.request("PATCH", url, {"fields": {"revenue": 2}}).assert_envelope()
    assert response.status == 409
    assert response.body["errors"] == (
        f"The record {record['id']} is archived; unarchive it before changing it."
    )
    fetched = write_api.get(url).data
    assert fetched["fields"] == {"revenue": 1} and fetched["meta"]["version"] == 2
    write_api.post(f"{url}/unarchive")
    assert write_api.request("PATCH", url, {"fields": {"revenue": 2}}).status == 200


def test_relationships_read_back_as_id_object_name(schema, write_api):
    jane = create(write_api, "people", name="Jane Roe", fields={"email": "jane@example.com"})
    john = create(write_api, "people", name="John Roe", fields={"email": "john@example.com"})
    acme = create(
        write_api, name="Acme", fields={"owner": jane["id"], "board": [jane["id"], john["id"]]}
    )
    assert acme["fields"]["owner"] == {"id": jane["id"], "object": "people", "name": "Jane Roe"}
    assert [link["name"] for link in acme["fields"]["board"]] == ["Jane Roe", "John Roe"]


def test_deleting_a_target_clears_references(schema, write_api):
    jane = create(write_api, "people", name="Jane Roe")
    john = create(write_api, "people", name="John Roe")
    acme = create(
        write_api, name="Acme", fields={"owner": jane["id"], "board": [jane["id"], john["id"]]}
    )
    write_api.request("DELETE", f"/api/records/people/{jane['id']}")
    fetched = write_api.get(f"/api/records/companies/{acme['id']}").data
    assert "owner" not in fetched["fields"]
    assert [link["id"] for link in fetched["fields"]["board"]] == [john["id"]]
    assert fetched["meta"]["version"] == 2


def test_unique_value_conflict_is_a_409_naming_field_and_existing_id(schema, write_api):
    first = create(write_api, name="Acme", fields={"domain": "acme.com"})
    response = write_api.post(
        "/api/records/companies", {"name": "Acme 2", "fields": {"domain": "acme.com"}}
    ).assert_envelope()
    assert response.status == 409
    assert response.body["errorDetail"] == {
        "fields.domain": [f"Already used by record {first['id']}."],
        "existing_id": first["id"],
    }
    assert Record.objects.count() == 1
    # Freeing the value lets another record take it.
    write_api.request(
        "PATCH", f"/api/records/companies/{first['id']}", {"fields": {"domain": None}}
    )
    assert (
        write_api.post(
            "/api/records/companies", {"name": "B", "fields": {"domain": "acme.com"}}
        ).status
        == 201
    )


def test_a_new_record_claims_its_unique_values_without_releasing_any(schema, write_api):
    with CaptureQueriesContext(connection) as queries:
        create(write_api, name="Acme", fields={"domain": "acme.com"})
    statements = [query["sql"] for query in queries.captured_queries]
    assert [sql for sql in statements if sql.startswith('INSERT INTO "records_uniquevalue"')]
    assert not [sql for sql in statements if sql.startswith("DELETE")]


def test_unique_email_is_case_insensitive(schema, write_api):
    create(write_api, "people", name="Jane", fields={"email": "Jane@Example.com"})
    response = write_api.post(
        "/api/records/people", {"name": "J", "fields": {"email": "jane@example.COM"}}
    )
    assert response.status == 409


def test_renamed_field_answers_to_both_names(schema, admin_api):
    admin_api.request("PATCH", "/api/objects/companies/fields/revenue", {"api_name": "arr"})
    old = admin_api.post("/api/records/companies", {"name": "A", "fields": {"revenue": 1}}).data
    new = admin_api.post("/api/records/companies", {"name": "B", "fields": {"arr": 2}}).data
    assert old["fields"] == {"arr": 1} and new["fields"] == {"arr": 2}
    by_old = admin_api.get("/api/records/companies?sort=-fields__revenue").data
    by_new = admin_api.get("/api/records/companies?sort=-fields__arr").data
    assert [r["name"] for r in by_old] == [r["name"] for r in by_new] == ["B", "A"]


def test_form_bodies_send_fields_as_fields_dot_id(schema, write_api):
    response = write_api.post(
        "/api/records/companies",
        raw="name=Acme&fields.revenue=12&fields.tier=a",
        content_type="application/x-www-form-urlencoded",
    ).assert_envelope()
    assert response.status == 201
    assert response.data["fields"] == {"revenue": 12, "tier": "a"}


def test_read_key_cannot_write(schema, read_api, write_api):
    record = create(write_api, name="Acme")
    assert read_api.post("/api/records/companies", {"name": "x"}).status == 403
    assert read_api.request("DELETE", f"/api/records/companies/{record['id']}").status == 403
    assert read_api.get(f"/api/records/companies/{record['id']}").status == 200


def test_another_orgs_records_are_404_on_every_route(schema, write_api, other_admin_api):
    record = create(write_api, name="Acme")
    url = f"/api/records/companies/{record['id']}"
    for method, path in [
        ("GET", "/api/records/companies"),
        ("POST", "/api/records/companies"),
        ("GET", url),
        ("PATCH", url),
        ("PUT", url),
        ("DELETE", url),
        ("POST", f"{url}/archive"),
        ("POST", f"{url}/unarchive"),
    ]:
        # Archive and unarchive take no body (one would be a 400 before the lookup).
        reads_body = method in ("PATCH", "PUT") or path == "/api/records/companies"
        body = {"name": "x"} if reads_body and method != "GET" else None
        assert other_admin_api.request(method, path, body).assert_envelope().status == 404, (
            method,
            path,
        )
    assert Record.objects.get().name == "Acme"
