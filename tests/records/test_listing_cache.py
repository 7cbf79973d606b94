"""A list polled with the same filters reuses its built queries (records.listing_cache), and
still answers what the database holds now, under the schema of now."""

import pytest

from records.listing_cache import LISTINGS, LISTINGS_PER_ORG, ListingCache
from records.object_schema import ObjectSchema

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


def kept_listings(org) -> int:
    return LISTINGS.kept(org.pk)


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
    assert kept_listings(org) == 1  # the old schema's, left to age out
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


def test_at_most_so_many_lists_are_kept_per_organization(
    schema, write_api, org, other_admin_api, other_org
):
    response = other_admin_api.post("/api/objects", {"api_name": "things"})
    assert response.status == 201, response.body
    assert other_admin_api.get("/api/records/things?name=a").status == 200
    assert other_admin_api.get("/api/records/things?name=b").status == 200
    assert kept_listings(other_org) == 2

    create(write_api, "r", revenue=5)
    for bound in range(LISTINGS_PER_ORG + 10):
        assert polled(write_api, f"fields__revenue__gte={bound}")[1] == (1 if bound <= 5 else 0)
        assert polled(write_api, f"name=n{bound}&sort=name")[1] == 0
    assert kept_listings(org) == LISTINGS_PER_ORG
    assert kept_listings(other_org) == 2  # one organization's lists push out only its own


def test_the_least_recently_used_lists_go_first_within_the_process_bound(org, other_org):
    from records.models import Object

    kept = ListingCache(per_org=2, in_all=3)
    ours = ObjectSchema(obj=Object(org=org, api_name="a"), fields=())
    theirs = ObjectSchema(obj=Object(org=other_org, api_name="b"), fields=())
    built = []

    def build():
        built.append(object())
        return built[-1]

    first = kept.get(ours, "1", build)
    kept.get(ours, "2", build)
    assert kept.get(ours, "1", build) is first  # kept: used most recently now
    kept.get(ours, "3", build)  # past the organization's 2: its "2" goes
    assert (kept.kept(org.pk), len(built)) == (2, 3)
    kept.get(theirs, "1", build)
    kept.get(theirs, "2", build)  # past the 3 in all: the least recently used ("1") goes
    assert (kept.kept(org.pk), kept.kept(other_org.pk)) == (1, 2)
    kept.get(ours, "1", build)
    assert len(built) == 6  # "1" was built again
    assert kept.get(ours, None, build) is built[-1] and len(built) == 7  # None: never kept
    equal_but_newer = ObjectSchema(obj=ours.obj, fields=())
    assert equal_but_newer == ours
    assert kept.get(equal_but_newer, "3", build) is built[-1] and len(built) == 8
