"""Upsert and lookup: match on email (contacts), name, or a unique field named by match_on."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from records.models import Record
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db


def upsert(api, object_name, body):
    return api.post(f"/api/records/{object_name}/upsert", body).assert_envelope()


def test_contacts_upsert_creates_then_updates_by_email(write_api):
    created = upsert(
        write_api, "contacts", {"fields": {"email": "Jane@Example.com", "first_name": "Jane"}}
    )
    assert created.status == 201 and created.body["created"] is True
    assert created.data["name"] == "Jane"
    updated = upsert(
        write_api, "contacts", {"fields": {"email": "jane@example.COM", "last_name": "Roe"}}
    )
    assert updated.status == 200 and updated.body["created"] is False
    assert updated.data["id"] == created.data["id"] and updated.data["name"] == "Jane Roe"
    assert updated.data["meta"]["version"] == 2
    assert Record.objects.filter(object__api_name="contacts").count() == 1


def test_other_objects_match_on_name_or_a_unique_field(schema, write_api):
    first = upsert(write_api, "companies", {"name": "Acme", "fields": {"domain": "acme.com"}})
    again = upsert(write_api, "companies", {"name": "Acme", "fields": {"revenue": 5}})
    assert (first.status, again.status) == (201, 200)
    assert again.data["fields"] == {"domain": "acme.com", "revenue": 5}
    renamed = upsert(
        write_api,
        "companies",
        {"name": "Acme Inc", "match_on": "domain", "fields": {"domain": "acme.com"}},
    )
    assert renamed.status == 200 and renamed.data["name"] == "Acme Inc"
    assert renamed.data["id"] == first.data["id"]


def test_several_matches_are_a_409_with_the_candidates(schema, write_api):
    ids = sorted(
        write_api.post("/api/records/companies", {"name": "Twin"}).data["id"] for _ in range(2)
    )
    response = upsert(write_api, "companies", {"name": "Twin", "fields": {"revenue": 1}})
    assert response.status == 409
    assert sorted(response.body["errorDetail"]["candidates"]) == ids
    looked = write_api.get("/api/records/companies/lookup?name=Twin").assert_envelope()
    assert looked.status == 409 and sorted(looked.body["errorDetail"]["candidates"]) == ids


def test_an_archived_match_is_reported_not_revived(write_api):
    created = upsert(write_api, "contacts", {"fields": {"email": "old@example.com"}}).data
    write_api.post(f"/api/records/contacts/{created['id']}/archive")
    response = upsert(
        write_api, "contacts", {"fields": {"email": "old@example.com", "first_name": "X"}}
    )
    assert response.status == 409
    assert response.body["errorDetail"] == {"existing_id": created["id"], "archived": True}
    assert Record.objects.get(pk=created["id"]).archived_at is not None


@pytest.mark.parametrize(
    ("object_name", "body", "status"),
    [
        ("contacts", {"fields": {"first_name": "no email"}}, 400),
        ("contacts", {"fields": {"email": "not-an-email"}}, 422),
        ("companies", {"fields": {"revenue": 1}}, 400),
        ("companies", {"name": "A", "match_on": "revenue"}, 400),
        ("companies", {"name": "A", "match_on": "domain"}, 400),
        ("companies", {"name": "A", "match_on": 5}, 400),
        ("companies", {"name": "A", "colour": "red"}, 400),
        ("companies", {"name": "A", "fields": {"revenue": "lots"}}, 422),
    ],
)
def test_bad_upserts_write_nothing(schema, write_api, object_name, body, status):
    before = Record.objects.count()
    assert upsert(write_api, object_name, body).status == status
    assert Record.objects.count() == before


def test_read_keys_cannot_upsert_and_other_orgs_objects_are_404(schema, read_api, other_admin_api):
    assert upsert(read_api, "companies", {"name": "A"}).status == 403
    assert upsert(other_admin_api, "companies", {"name": "A"}).status == 404


def test_lookup_one_none_several(schema, write_api):
    jane = upsert(write_api, "contacts", {"fields": {"email": "jane@example.com"}}).data
    found = write_api.get("/api/records/contacts/lookup?email=JANE@example.com").assert_envelope()
    assert found.status == 200 and found.data["id"] == jane["id"]
    missing = write_api.get("/api/records/contacts/lookup?email=nobody@example.com")
    assert missing.assert_envelope().status == 404
    acme = write_api.post(
        "/api/records/companies", {"name": "Acme", "fields": {"domain": "acme.com"}}
    ).data
    assert write_api.get("/api/records/companies/lookup?name=Acme").data["id"] == acme["id"]
    assert write_api.get("/api/records/companies/lookup?domain=acme.com").data["id"] == acme["id"]
    for query in ("", "name=Acme&domain=acme.com", "revenue=1", "colour=red"):
        response = write_api.get(f"/api/records/companies/lookup?{query}").assert_envelope()
        assert response.status == 400, query


def test_upsert_and_lookup_query_counts(write_api, django_assert_max_num_queries):
    upsert(write_api, "contacts", {"fields": {"email": "q@example.com"}})
    # key, object, fields, match, lock and re-read, update, the event and the endpoints that
    # want it, log; plus savepoints
    with django_assert_max_num_queries(14):
        upsert(write_api, "contacts", {"fields": {"email": "q@example.com", "first_name": "Q"}})
    with django_assert_max_num_queries(6):
        write_api.get("/api/records/contacts/lookup?email=q@example.com")


@pytest.mark.django_db(transaction=True)
def test_sixteen_concurrent_upserts_of_one_new_email_leave_one_contact(org, make_key):
    _, key = make_key(org, "write")
    start = threading.Barrier(16)

    def write(index: int):
        try:
            start.wait()
            return ApiClient(key).post(
                "/api/records/contacts/upsert",
                {"fields": {"email": "race@example.com", "first_name": f"n{index}"}},
            )
        finally:
            connections.close_all()

    with ThreadPoolExecutor(16) as pool:
        responses = list(pool.map(write, range(16)))
    assert sorted(r.status for r in responses) == [200] * 15 + [201], [r.body for r in responses]
    assert [r.body["created"] for r in responses].count(True) == 1
    assert Record.objects.filter(object__api_name="contacts", org=org).count() == 1


def test_a_long_derived_name_is_capped_like_a_sent_one(write_api):
    response = upsert(
        write_api,
        "contacts",
        {"fields": {"email": "l@x.com", "first_name": "a" * 900, "last_name": "b" * 900}},
    )
    assert response.status == 201 and len(response.data["name"]) == 1000


def test_the_name_falls_back_to_the_email_when_names_are_cleared(write_api):
    upsert(write_api, "contacts", {"fields": {"email": "f@x.com", "first_name": "F"}})
    cleared = upsert(write_api, "contacts", {"fields": {"email": "f@x.com", "first_name": None}})
    assert cleared.data["name"] == "f@x.com"


def test_match_on_accepts_a_renamed_fields_old_name_but_not_both(schema, admin_api):
    admin_api.post("/api/records/companies", {"name": "A", "fields": {"domain": "a.com"}})
    admin_api.request("PATCH", "/api/objects/companies/fields/domain", {"api_name": "host"})
    by_old = upsert(
        admin_api, "companies", {"name": "A2", "match_on": "host", "fields": {"domain": "a.com"}}
    )
    assert by_old.status == 200 and by_old.data["name"] == "A2"
    both = upsert(
        admin_api,
        "companies",
        {"name": "A3", "match_on": "host", "fields": {"host": "a.com", "domain": "b.com"}},
    )
    assert both.status == 422
    plain = admin_api.post(
        "/api/records/companies", {"name": "B", "fields": {"host": "x.com", "domain": "y.com"}}
    ).assert_envelope()
    assert plain.status == 422
    assert plain.body["errorDetail"] == {
        "fields.domain": ["Given twice: as 'host' and as 'domain'."]
    }


def test_lookup_names_its_keys(schema, write_api):
    for query, status in [
        ("name=x", 400),
        ("email=", 400),
        ("email=a@x.com&email=b@x.com", 400),
        ("archived=all&email=a@x.com", 400),
    ]:
        response = write_api.get(f"/api/records/contacts/lookup?{query}").assert_envelope()
        assert response.status == status, query
    listed = write_api.get("/api/records/contacts/lookup?name=x").body
    assert listed["errors"] == "Look up by exactly one of: email."


@pytest.mark.django_db(transaction=True)
def test_upserts_racing_plain_creates_of_one_email_leave_one_contact(org, make_key):
    _, key = make_key(org, "write")
    start = threading.Barrier(12)

    def write(index: int):
        try:
            start.wait()
            path = "/api/records/contacts/upsert" if index % 2 else "/api/records/contacts"
            email = "Race@Example.com" if index % 3 else "race@example.COM"
            return ApiClient(key).post(path, {"fields": {"email": email}})
        finally:
            connections.close_all()

    with ThreadPoolExecutor(12) as pool:
        responses = list(pool.map(write, range(12)))
    upserts = [r.status for i, r in enumerate(responses) if i % 2]
    creates = [r.status for i, r in enumerate(responses) if not i % 2]
    assert all(status in (200, 201) for status in upserts), [r.body for r in responses]
    assert all(status in (201, 409) for status in creates)
    assert (upserts + creates).count(201) == 1
    assert Record.objects.filter(object__api_name="contacts", org=org).count() == 1


def test_a_repeated_identical_upsert_changes_nothing(write_api):
    body = {"fields": {"email": "same@x.com", "first_name": "S"}}
    first = upsert(write_api, "contacts", body)
    again = upsert(write_api, "contacts", body)
    assert again.status == 200 and again.body["created"] is False
    assert again.data["meta"] == first.data["meta"]  # same version and updated_at
