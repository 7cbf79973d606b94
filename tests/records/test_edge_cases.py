"""Edge cases found in review: hostile numbers and dates, schema changes with stored values,
non-ASCII and empty values, large `in` lists, concurrent updates."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from records.models import Record
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db


def make(api, definition):
    response = api.post("/api/objects", definition)
    assert response.status == 201, response.body


@pytest.mark.parametrize("value", ["1e400000", "0.1e999999999", "Infinity", "-Infinity", "sNaN"])
def test_hostile_numbers_in_filters_are_a_400_at_once(schema, write_api, value):
    response = write_api.get(f"/api/records/companies?fields__revenue={value}").assert_envelope()
    assert response.status == 400
    assert list(response.body["errorDetail"]) == ["fields__revenue"]


def test_numbers_beyond_the_safe_integer_range_are_kept_as_floats(schema, write_api):
    created = write_api.post(
        "/api/records/companies", {"name": "big", "fields": {"revenue": "100000000000000000000"}}
    ).assert_envelope()
    assert created.status == 201 and created.data["fields"]["revenue"] == 1e20
    found = write_api.get("/api/records/companies?fields__revenue=1e20").data
    assert [r["name"] for r in found] == ["big"]


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-05:00"])
def test_datetimes_outside_the_utc_calendar_are_refused(schema, write_api, value):
    written = write_api.post(
        "/api/records/companies", {"name": "x", "fields": {"last_contact": value}}
    ).assert_envelope()
    assert written.status == 422
    assert written.body["errorDetail"] == {
        "fields.last_contact": ["The date and time is out of range once converted to UTC."]
    }
    filtered = write_api.get(
        f"/api/records/companies?fields__last_contact__gt={value.replace('+', '%2B')}"
    )
    assert filtered.assert_envelope().status == 400
    searched = write_api.post(
        "/api/records/companies/search",
        {"filters": {"created_at": {"operator": "gt", "value": [value]}}},
    ).assert_envelope()
    assert searched.status == 400


def test_making_a_field_unique_claims_its_values_or_refuses(admin_api):
    make(
        admin_api,
        {"api_name": "things", "fields": [{"api_name": "code", "type": "text", "unique": True}]},
    )
    a = admin_api.post("/api/records/things", {"name": "a", "fields": {"code": "one"}}).data
    off = admin_api.request("PATCH", "/api/objects/things/fields/code", {"unique": False})
    assert off.status == 200
    admin_api.request("PATCH", f"/api/records/things/{a['id']}", {"fields": {"code": "two"}})
    b = admin_api.post("/api/records/things", {"name": "b", "fields": {"code": "two"}}).data
    refused = admin_api.request(
        "PATCH", "/api/objects/things/fields/code", {"unique": True}
    ).assert_envelope()
    assert refused.status == 409
    assert refused.body["errors"].startswith("2 record(s) share values of 'code'")
    admin_api.request("PATCH", f"/api/records/things/{b['id']}", {"fields": {"code": "three"}})
    assert (
        admin_api.request("PATCH", "/api/objects/things/fields/code", {"unique": True}).status
        == 200
    )
    duplicate = admin_api.post("/api/records/things", {"name": "c", "fields": {"code": "two"}})
    assert duplicate.status == 409
    assert duplicate.body["errorDetail"]["existing_id"] == a["id"]
    assert (
        admin_api.post("/api/records/things", {"name": "d", "fields": {"code": "one"}}).status
        == 201
    )


def test_relationship_options_cannot_change_while_links_are_stored(schema, admin_api):
    person = admin_api.post("/api/records/people", {"name": "p"}).data
    admin_api.post("/api/records/companies", {"name": "c", "fields": {"board": [person["id"]]}})
    for options in ({"target": "companies", "many": True}, {"target": "people", "many": False}):
        response = admin_api.request(
            "PATCH", "/api/objects/companies/fields/board", {"options": options}
        ).assert_envelope()
        assert response.status == 409
        assert response.body["errorDetail"] == {"blocking_records": 1}


def test_field_names_cannot_hold_a_double_underscore(schema, admin_api):
    response = admin_api.post(
        "/api/objects/companies/fields", {"api_name": "n__lt", "type": "number"}
    ).assert_envelope()
    assert response.status == 422
    assert response.body["errorDetail"] == {"api_name": ["No double underscore."]}


def test_non_ascii_options_filter_the_same_on_every_database(admin_api):
    make(
        admin_api,
        {
            "api_name": "menus",
            "fields": [
                {
                    "api_name": "tags",
                    "type": "multi_select",
                    "options": {"choices": ["é", "ü", "x"]},
                },
                {"api_name": "title", "type": "text"},
            ],
        },
    )
    admin_api.post(
        "/api/records/menus", {"name": "one", "fields": {"tags": ["é"], "title": "Crème"}}
    )
    admin_api.post(
        "/api/records/menus", {"name": "two", "fields": {"tags": ["x"], "title": "Brûlée"}}
    )
    names = [r["name"] for r in admin_api.get("/api/records/menus?fields__tags__contains=é").data]
    assert names == ["one"]
    assert [
        r["name"] for r in admin_api.get("/api/records/menus?fields__title__contains=û").data
    ] == ["two"]


def test_an_in_list_of_a_thousand_values_works_on_every_database(schema, write_api):
    write_api.post("/api/records/companies", {"name": "x", "fields": {"domain": "d999.com"}})
    values = ",".join(f"d{i}.com" for i in range(1000))
    response = write_api.get(f"/api/records/companies?fields__domain__in={values}")
    assert response.assert_envelope().status == 200
    assert [r["name"] for r in response.data] == ["x"]
    too_many = write_api.get(f"/api/records/companies?fields__domain__in={values},d1000.com")
    assert too_many.status == 400


def test_email_filters_compare_in_stored_form(schema, write_api):
    write_api.post("/api/records/companies", {"name": "x", "fields": {"email": "A@X.COM"}})
    found = write_api.get("/api/records/companies?fields__email=A@X.COM").data
    assert [r["name"] for r in found] == ["x"]


def test_deeply_nested_json_values_are_a_422(schema, write_api):
    nested: list = []
    for _ in range(150):
        nested = [nested]
    response = write_api.post(
        "/api/records/companies", {"name": "x", "fields": {"extra": nested}}
    ).assert_envelope()
    assert response.status == 422
    assert response.body["errorDetail"] == {
        "fields.extra": ["Expected JSON nested at most 100 levels deep."]
    }


def test_empty_search_groups_and_empty_filter_values_are_a_400(schema, write_api):
    assert write_api.post("/api/records/companies/search", {"any": [{}]}).status == 400
    for query in ("fields__revenue=", "fields__tier__in=", "name__startswith="):
        response = write_api.get(f"/api/records/companies?{query}").assert_envelope()
        assert response.status == 400, query


def test_empty_strings_and_lists_are_no_value(schema, write_api):
    record = write_api.post(
        "/api/records/companies",
        {"name": "x", "fields": {"domain": "", "tags": [], "notes": "kept", "tier": "a"}},
    ).data
    assert record["fields"] == {"notes": "kept", "tier": "a"}
    cleared = write_api.request(
        "PATCH", f"/api/records/companies/{record['id']}", {"fields": {"notes": "", "tier": ""}}
    ).data
    assert cleared["fields"] == {}
    empty = write_api.get("/api/records/companies?fields__notes__isnull=true").data
    assert [r["name"] for r in empty] == ["x"]


def test_deleting_a_field_bumps_the_version_of_records_that_held_it(schema, admin_api):
    record = admin_api.post("/api/records/companies", {"name": "x", "fields": {"revenue": 1}}).data
    admin_api.request("DELETE", "/api/objects/companies/fields/revenue")
    after = admin_api.get(f"/api/records/companies/{record['id']}").data
    assert (
        after["meta"]["version"] == 2 and after["meta"]["updated_at"] > record["meta"]["updated_at"]
    )


@pytest.mark.django_db(transaction=True)
def test_concurrent_updates_of_one_record_all_succeed(org, make_key):
    _, key = make_key(org, "admin")
    api = ApiClient(key)
    make(api, {"api_name": "counters", "fields": [{"api_name": "n", "type": "integer"}]})
    record = api.post("/api/records/counters", {"name": "c"}).data
    start = threading.Barrier(8)

    def update(index: int):
        try:
            start.wait()
            return (
                ApiClient(key)
                .request("PATCH", f"/api/records/counters/{record['id']}", {"fields": {"n": index}})
                .status
            )
        finally:
            connections.close_all()

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(update, range(8)))
    assert statuses == [200] * 8
    assert Record.objects.get(pk=record["id"]).version == 9
