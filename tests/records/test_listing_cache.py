"""A list polled with the same filters reuses its built queries (records.listing_cache), and
still answers what the database holds now, under the schema of now."""

import pytest

from accounts.models import Organization
from records.listing_cache import LISTINGS_PER_OBJECT, listing_cache
from records.schema_cache import cached_schema

pytestmark = pytest.mark.django_db

POLLED = "fields__revenue__gte=100&fields__revenue__lte=500&sort=-fields__founded&limit=2"


def create(api, name, **fields):
    response = api.post("/api/records/companies", {"name": name, "fields": fields})
    assert response.status == 201, response.body
    return response.data


def polled(api, query=POLLED):
    response = api.get(f"/api/records/companies?{query}").assert_envelope()
    assert response.status == 200, response.body
    return [record["name"] for record in response.data], response.body["pagination"]["total"]


def kept_listings(org, object_name="companies") -> int:
    org = Organization.objects.get(pk=org.pk)  # its schema version as of now
    schema = cached_schema(org=org, api_name=object_name)
    return len(schema.derived(listing_cache)._built)


def test_a_polled_list_sees_records_written_between_polls(schema, write_api, org):
    create(write_api, "in", revenue=200, founded="2020-01-01")
    create(write_api, "out", revenue=900, founded="2021-01-01")
    assert polled(write_api) == (["in"], 1)
    assert kept_listings(org) == 1

    newer = create(write_api, "newer", revenue=300, founded="2022-01-01")
    assert polled(write_api) == (["newer", "in"], 2)
    third = create(write_api, "third", revenue=400, founded="2019-01-01")
    assert polled(write_api) == (["newer", "in"], 3)  # the total counted afresh
    assert polled(write_api, POLLED + "&offset=2") == (["third"], 3)

    response = write_api.request(
        "PATCH", f"/api/records/companies/{newer['id']}", {"fields": {"revenue": 1000}}
    )
    assert response.status == 200, response.body
    assert polled(write_api) == (["in", "third"], 2)
    response = write_api.post(f"/api/records/companies/{third['id']}/archive", {})
    assert response.status == 200, response.body
    assert polled(write_api) == (["in"], 1)
    assert polled(write_api, POLLED + "&archived=true") == (["third"], 1)
    assert kept_listings(org) == 2  # one per distinct list: the window is not part of it


def test_a_search_with_the_same_filters_in_its_body_is_answered_afresh(schema, write_api):
    body = {"filters": {"fields__revenue": {"operator": "gte", "value": 100}}, "sort": "name"}
    create(write_api, "b", revenue=150)
    first = write_api.post("/api/records/companies/search", body)
    assert [r["name"] for r in first.data] == ["b"]
    create(write_api, "a", revenue=120)
    again = write_api.post("/api/records/companies/search", body)
    assert [r["name"] for r in again.data] == ["a", "b"]
    either = {
        "any": [
            {"name": {"operator": "", "value": "a"}},
            {"name": {"operator": "", "value": "b"}},
        ],
        "sort": "name",
    }
    assert [r["name"] for r in write_api.post("/api/records/companies/search", either).data] == [
        "a",
        "b",
    ]


def test_a_schema_change_is_seen_by_the_next_poll(schema, admin_api, org):
    create(admin_api, "x", revenue=200)
    assert polled(admin_api, "fields__revenue__gte=100") == (["x"], 1)
    response = admin_api.post(
        "/api/objects/companies/fields", {"api_name": "region", "type": "text"}
    )
    assert response.status == 201, response.body
    assert kept_listings(org) == 0  # the new schema starts with nothing kept
    response = admin_api.request(
        "PATCH",
        f"/api/records/companies/{admin_api.get('/api/records/companies').data[0]['id']}",
        {"fields": {"region": "emea"}},
    )
    assert response.status == 200, response.body
    assert polled(admin_api, "fields__region=emea&fields__revenue__gte=100") == (["x"], 1)
    assert polled(admin_api, "fields__revenue__gte=100&select=meta") == (["x"], 1)


def test_values_of_other_types_are_other_lists(schema, write_api):
    create(write_api, "one", employees=1)
    create(write_api, "flag", public=True)
    assert polled(write_api, "fields__employees=1") == (["one"], 1)
    assert polled(write_api, "fields__public=true") == (["flag"], 1)
    assert polled(write_api, "fields__public=false") == ([], 0)


def test_at_most_so_many_lists_are_kept_per_object(schema, write_api, org):
    create(write_api, "r", revenue=5)
    for bound in range(LISTINGS_PER_OBJECT + 10):
        assert polled(write_api, f"fields__revenue__gte={bound}")[1] == (1 if bound <= 5 else 0)
    assert kept_listings(org) == LISTINGS_PER_OBJECT
    # Another object's lists are its own.
    assert kept_listings(org, "people") == 0
