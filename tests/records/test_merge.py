"""Merge, behind `X-Experimental: merge`: links move to the survivor, its empty fields are
filled, the merged record is deleted."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from records.models import Record, UniqueValue

pytestmark = pytest.mark.django_db

OPT_IN = {"HTTP_X_EXPERIMENTAL": "merge"}


def create(api, object_name, **body):
    response = api.post(f"/api/records/{object_name}", body).assert_envelope()
    assert response.status == 201, response.body
    return response.data


def merge(api, object_name, survivor, body, **headers):
    headers = headers or OPT_IN
    path = f"/api/records/{object_name}/{survivor}/merge"
    return api.post(path, body, **headers).assert_envelope()


@pytest.fixture
def linked(schema):
    """Two contacts who are one person, and companies linking to either."""
    admin = schema
    for field in (
        {"api_name": "contact", "type": "relationship", "options": {"target": "contacts"}},
        {
            "api_name": "team",
            "type": "relationship",
            "options": {"target": "contacts", "many": True},
        },
    ):
        response = admin.post("/api/objects/companies/fields", field)
        assert response.status == 201, response.body
    jane = create(admin, "contacts", fields={"email": "jane@example.com", "first_name": "Jane"})
    dupe = create(
        admin,
        "contacts",
        fields={"email": "jane.roe@work.example", "last_name": "Roe", "phone": "+1 555 0100"},
    )
    acme = create(admin, "companies", name="Acme", fields={"contact": dupe["id"]})
    globex = create(admin, "companies", name="Globex", fields={"team": [jane["id"], dupe["id"]]})
    return {"jane": jane, "dupe": dupe, "acme": acme, "globex": globex}


def test_without_the_header_merge_is_a_400_naming_the_flag(linked, write_api):
    jane, dupe = linked["jane"], linked["dupe"]
    for headers in ({"HTTP_X_OTHER": "1"}, {"HTTP_X_EXPERIMENTAL": "something-else"}):
        response = merge(write_api, "contacts", jane["id"], {"from": dupe["id"]}, **headers)
        assert response.status == 400
        assert response.body["errors"] == (
            "This is the experimental feature 'merge': send the header "
            "'X-Experimental: merge' to use it."
        )
        assert response.body["errorDetail"] == {"X-Experimental": ["Send 'merge' to opt in."]}
    assert Record.objects.filter(pk=dupe["id"]).exists()


def test_merge_moves_links_fills_empty_fields_and_deletes_the_merged_record(linked, write_api):
    jane, dupe = linked["jane"], linked["dupe"]
    response = merge(write_api, "contacts", jane["id"], {"from": dupe["id"]})
    assert response.status == 200, response.body
    survivor = response.data
    assert survivor["id"] == jane["id"]
    assert survivor["name"] == "Jane Roe"
    assert survivor["fields"] == {
        "email": "jane@example.com",
        "first_name": "Jane",
        "last_name": "Roe",
        "phone": "+1 555 0100",
    }
    assert survivor["meta"]["version"] == 2
    summary = response.body["merge"]
    assert summary["merged_id"] == dupe["id"]
    assert summary["filled_fields"] == ["last_name", "phone"]
    assert sorted(r["name"] for r in summary["relinked_records"]) == ["Acme", "Globex"]
    assert {r["object"] for r in summary["relinked_records"]} == {"companies"}

    gone = write_api.get(f"/api/records/contacts/{dupe['id']}").assert_envelope()
    assert gone.status == 404
    acme = write_api.get(f"/api/records/companies/{linked['acme']['id']}").data
    assert acme["fields"]["contact"]["id"] == jane["id"]
    assert acme["meta"]["version"] == 2
    globex = write_api.get(f"/api/records/companies/{linked['globex']['id']}").data
    assert [member["id"] for member in globex["fields"]["team"]] == [jane["id"]]
    # The merged email is free again; the survivor keeps its own.
    assert not UniqueValue.objects.filter(value="jane.roe@work.example").exists()
    found = write_api.get("/api/records/contacts/lookup?email=jane@example.com").data
    assert found["id"] == jane["id"]


def test_a_unique_value_taken_from_the_merged_record_stays_unique(schema, write_api):
    bare = create(write_api, "companies", name="Acme")
    full = create(write_api, "companies", name="Acme Inc", fields={"domain": "acme.com"})
    response = merge(write_api, "companies", bare["id"], {"from": full["id"]})
    assert response.status == 200
    assert response.data["name"] == "Acme"  # a sent name is the survivor's own
    assert response.data["fields"] == {"domain": "acme.com"}
    assert write_api.get("/api/records/companies/lookup?domain=acme.com").data["id"] == bare["id"]
    again = write_api.post(
        "/api/records/companies", {"name": "X", "fields": {"domain": "acme.com"}}
    )
    assert again.assert_envelope().status == 409


def test_contacts_merge_by_email(linked, write_api):
    response = merge(write_api, "contacts", "JANE@example.com", {"from": "Jane.Roe@work.example"})
    assert response.status == 200
    assert response.data["id"] == linked["jane"]["id"]
    assert not Record.objects.filter(pk=linked["dupe"]["id"]).exists()


def test_links_between_the_two_do_not_become_self_links(schema, admin_api):
    admin_api.post(
        "/api/objects/people/fields",
        {"api_name": "partner", "type": "relationship", "options": {"target": "people"}},
    )
    first = create(admin_api, "people", name="First")
    second = create(admin_api, "people", name="Second", fields={"partner": first["id"]})
    admin_api.request(
        "PATCH", f"/api/records/people/{first['id']}", {"fields": {"partner": second["id"]}}
    )
    response = merge(admin_api, "people", first["id"], {"from": second["id"]})
    assert response.status == 200
    assert response.data["fields"] == {}
    assert response.body["merge"]["filled_fields"] == []


@pytest.mark.parametrize(
    ("body", "status", "errors"),
    [
        ({}, 400, "Required input is missing: from."),
        ([], 400, "The request body must be a JSON object."),
        ({"from": 5}, 400, "Invalid value for 'from': expected a record id (a string)."),
        ({"from": "x" * 256}, 400, "Invalid value for 'from': expected a record id (a string)."),
        ({"from": "a", "into": "b"}, 400, "Unknown input: into. Valid inputs: from."),
        (
            {"from": "0192c1e2-0000-7000-8000-000000000000"},
            422,
            "No contacts record with id '0192c1e2-0000-7000-8000-000000000000' to merge.",
        ),
    ],
)
def test_bad_merge_inputs(linked, write_api, body, status, errors):
    response = merge(write_api, "contacts", linked["jane"]["id"], body)
    assert (response.status, response.body["errors"]) == (status, errors)
    assert Record.objects.filter(pk=linked["dupe"]["id"]).exists()


def test_merging_a_record_into_itself_is_a_422(linked, write_api):
    jane = linked["jane"]
    response = merge(write_api, "contacts", jane["id"], {"from": jane["id"]})
    assert response.status == 422
    assert response.body["errorDetail"] == {"from": ["Give the id of another record."]}


def test_an_archived_survivor_is_a_409_and_changes_nothing(linked, write_api):
    jane, dupe = linked["jane"], linked["dupe"]
    write_api.post(f"/api/records/contacts/{jane['id']}/archive")
    response = merge(write_api, "contacts", jane["id"], {"from": dupe["id"]})
    assert response.status == 409
    assert Record.objects.filter(pk=dupe["id"]).exists()
    acme = Record.objects.get(pk=linked["acme"]["id"])
    assert acme.version == 1


def test_another_orgs_records_cannot_be_merged(linked, write_api, other_admin_api):
    theirs = create(other_admin_api, "contacts", fields={"email": "them@example.com"})
    into_theirs = merge(write_api, "contacts", theirs["id"], {"from": linked["dupe"]["id"]})
    assert into_theirs.status == 404
    from_theirs = merge(write_api, "contacts", linked["jane"]["id"], {"from": theirs["id"]})
    assert from_theirs.status == 422
    assert Record.objects.filter(pk=theirs["id"]).exists()


def test_a_read_key_cannot_merge(linked, read_api):
    response = merge(read_api, "contacts", linked["jane"]["id"], {"from": linked["dupe"]["id"]})
    assert response.status == 403


def test_merge_is_listed_as_experimental(write_api):
    features = write_api.get("/api/experimental").data
    assert "merge" in [feature["name"] for feature in features]


def test_merge_queries_do_not_grow_with_the_links(schema, admin_api):
    admin_api.post(
        "/api/objects/companies/fields",
        {"api_name": "lead", "type": "relationship", "options": {"target": "people"}},
    )

    def merge_with_links(count: int) -> int:
        survivor = create(admin_api, "people", name=f"Survivor {count}")
        merged = create(admin_api, "people", name=f"Merged {count}")
        for index in range(count):
            create(admin_api, "companies", name=f"c{count}-{index}", fields={"lead": merged["id"]})
        with CaptureQueriesContext(connection) as queries:
            assert merge(admin_api, "people", survivor["id"], {"from": merged["id"]}).status == 200
        return len(queries)

    assert merge_with_links(1) == merge_with_links(40)
