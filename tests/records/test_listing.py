"""Listing records: sort (typed, stable, empty last), select, pagination, query counts."""

import random

import pytest
from django.db.models.signals import post_init

from records.models import Record

pytestmark = pytest.mark.django_db


def create(api, name, **fields):
    response = api.post("/api/records/companies", {"name": name, "fields": fields})
    assert response.status == 201, response.body
    return response.data


def names(api, query):
    response = api.get(f"/api/records/companies?{query}").assert_envelope()
    assert response.status == 200, response.body
    return [record["name"] for record in response.data]


def test_default_order_is_newest_first(schema, write_api):
    for name in ("a", "b", "c"):
        create(write_api, name)
    assert names(write_api, "") == ["c", "b", "a"]
    assert names(write_api, "sort=id") == ["a", "b", "c"]


def test_numbers_sort_as_numbers_and_empty_values_last(schema, write_api):
    for name, revenue in [
        ("ten", 10),
        ("nine", 9),
        ("none", None),
        ("hundred", 100),
        ("neg", -1.5),
    ]:
        create(write_api, name, **({"revenue": revenue} if revenue is not None else {}))
    assert names(write_api, "sort=fields__revenue") == ["neg", "nine", "ten", "hundred", "none"]
    assert names(write_api, "sort=-fields__revenue") == ["hundred", "ten", "nine", "neg", "none"]


def test_dates_and_datetimes_sort_as_time(schema, write_api):
    create(write_api, "late", founded="2020-01-01", last_contact="2026-01-01T00:00:00+05:00")
    create(write_api, "early", founded="1999-12-31", last_contact="2025-12-31T20:00:00Z")
    create(write_api, "mid", founded="2010-06-15", last_contact="2025-12-31T19:30:00-00:45")
    assert names(write_api, "sort=fields__founded") == ["early", "mid", "late"]
    # 2025-12-31T19:00Z < 20:00Z (early) < 20:15Z (mid)
    assert names(write_api, "sort=fields__last_contact") == ["late", "early", "mid"]


def test_text_sort_with_ties_broken_by_id_in_the_first_keys_direction(schema, write_api):
    ids = [create(write_api, "same")["id"] for _ in range(3)]
    create(write_api, "alpha")
    ascending = write_api.get("/api/records/companies?sort=name").data
    assert [r["id"] for r in ascending] == [ascending[0]["id"], *ids]
    descending = write_api.get("/api/records/companies?sort=-name").data
    assert [r["id"] for r in descending][:3] == list(reversed(ids))


def test_sort_agrees_with_python_on_random_data(schema, write_api):
    rng = random.Random(7)
    expected = []
    for index in range(40):
        revenue = rng.choice([None, rng.randint(-1000, 1000), rng.random() * 1000])
        record = create(write_api, f"r{index}", **({} if revenue is None else {"revenue": revenue}))
        expected.append((revenue, record["id"]))
    with_value = sorted((v, i) for v, i in expected if v is not None)
    empty = sorted(i for v, i in expected if v is None)
    response = write_api.get("/api/records/companies?sort=fields__revenue&limit=1000").data
    assert [r["id"] for r in response] == [i for _, i in with_value] + empty


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("sort=fields__nope", "sort"),
        ("sort=fields__tags", "sort"),
        ("sort=colour", "sort"),
        ("select=everything", "select"),
        ("archived=maybe", "archived"),
        ("limit=-1", "limit"),
    ],
)
def test_bad_list_parameters_are_a_400_naming_them(schema, write_api, query, parameter):
    response = write_api.get(f"/api/records/companies?{query}").assert_envelope()
    assert response.status == 400
    assert list(response.body["errorDetail"]) == [parameter]


COMPANY_FILTER_KEYS = (
    "id, name, created_at, updated_at, fields__domain, fields__revenue, fields__employees, "
    "fields__public, fields__founded, fields__last_contact, fields__email, fields__phone, "
    "fields__website, fields__notes, fields__tier, fields__tags, fields__owner, "
    "fields__board, fields__extra"
)


def test_unknown_filter_key_is_a_400_naming_the_objects_keys(schema, write_api):
    response = write_api.get("/api/records/companies?colour=red").assert_envelope()
    assert response.status == 400
    assert response.body["errorDetail"] == {
        "colour": [
            f"unknown filter key; the filter keys of companies are {COMPANY_FILTER_KEYS}, "
            "with __<operator> where needed."
        ]
    }
    response = write_api.get("/api/records/companies?fields__nope=1").assert_envelope()
    assert "fields__revenue, fields__employees" in response.body["errorDetail"]["fields__nope"][0]


@pytest.mark.parametrize("name", ["revenue", "revenue__gte"])
def test_a_field_named_without_its_prefix_is_pointed_at(schema, write_api, name):
    response = write_api.get(f"/api/records/companies?{name}=1").assert_envelope()
    assert response.status == 400
    (problem,) = response.body["errorDetail"][name]
    assert problem.endswith(f"Did you mean fields__{name}?")


def test_an_unknown_key_in_a_search_body_names_the_objects_keys(schema, write_api):
    body = {"filters": {"colour": {"operator": "", "value": ["red"]}}}
    response = write_api.post("/api/records/companies/search", body).assert_envelope()
    assert response.status == 400
    assert response.body["errorDetail"] == {
        "filters.colour": [
            f"unknown filter key; the filter keys of companies are {COMPANY_FILTER_KEYS}, "
            "with __<operator> where needed."
        ]
    }


def test_select_meta_and_fields(schema, write_api):
    record = create(write_api, "Acme", revenue=1)
    listed = write_api.get("/api/records/companies").data[0]
    assert "meta" not in listed and listed["fields"] == {"revenue": 1}
    with_meta = write_api.get("/api/records/companies?select=meta,-fields").data[0]
    assert "fields" not in with_meta and with_meta["meta"]["version"] == 1
    one = write_api.get(f"/api/records/companies/{record['id']}?select=-meta").data
    assert "meta" not in one and one["fields"] == {"revenue": 1}


def test_pagination_total_is_exact_and_limit_clamped(schema, write_api, org):
    obj = Record.objects.model.object.field.related_model.objects.get(api_name="companies")
    Record.objects.bulk_create([Record(org=org, object=obj, name=f"r{i}") for i in range(1005)])
    response = write_api.get("/api/records/companies?limit=5000").assert_envelope()
    assert response.body["pagination"] == {"total": 1005, "limit": 1000, "offset": 0}
    assert len(response.data) == 1000
    by_page = write_api.get("/api/records/companies?page=3&page_size=10").assert_envelope()
    by_offset = write_api.get("/api/records/companies?limit=10&offset=20").assert_envelope()
    assert by_page.data == by_offset.data
    assert by_page.body["pagination"] == {"total": 1005, "limit": 10, "offset": 20}


def test_listing_100_records_with_relationships_takes_the_same_queries_as_1(
    schema, write_api, django_assert_num_queries
):
    people = [write_api.post("/api/records/people", {"name": f"p{i}"}).data["id"] for i in range(3)]
    create(write_api, "first", owner=people[0], board=people)
    write_api.get("/api/records/companies")
    # key, count, page, links, request log (the schema is cached)
    with django_assert_num_queries(5):
        assert len(write_api.get("/api/records/companies").data) == 1
    for index in range(99):
        create(write_api, f"c{index}", owner=people[index % 3], board=people[: index % 3 + 1])
    with django_assert_num_queries(5):
        listed = write_api.get("/api/records/companies").data
    assert len(listed) == 100
    assert all(record["fields"]["owner"]["object"] == "people" for record in listed)


def test_a_page_is_read_as_plain_rows_not_model_instances(schema, write_api):
    person = write_api.post("/api/records/people", {"name": "p"}).data["id"]
    for index in range(3):
        create(write_api, f"c{index}", owner=person, revenue=index)
    made = []

    def count(sender, instance, **kwargs):
        made.append(instance)

    post_init.connect(count, sender=Record)
    try:
        listed = write_api.get("/api/records/companies?select=meta").data
    finally:
        post_init.disconnect(count, sender=Record)
    assert [record["fields"]["revenue"] for record in listed] == [2, 1, 0]
    assert listed[0]["fields"]["owner"] == {"id": person, "object": "people", "name": "p"}
    assert listed[0]["meta"]["version"] == 1
    assert made == []


def test_retrieve_and_create_query_counts(schema, write_api, django_assert_num_queries):
    person = write_api.post("/api/records/people", {"name": "p"}).data["id"]
    record = create(write_api, "Acme", owner=person, domain="acme.com")
    write_api.get("/api/me")
    # key with its organization, the record with its links' names, log (the schema is cached)
    with django_assert_num_queries(3):
        write_api.get(f"/api/records/companies/{record['id']}")


def test_one_record_reads_its_links_in_its_own_query_and_shows_them_as_lists_do(
    schema, write_api, django_assert_max_num_queries
):
    people = [write_api.post("/api/records/people", {"name": f"p{i}"}).data["id"] for i in range(3)]
    assert write_api.post(f"/api/records/people/{people[2]}/archive").status == 200
    record = create(write_api, "Acme", owner=people[1], board=[people[2], people[0]], revenue=5)
    plain = create(write_api, "Plain", revenue=1)
    write_api.get("/api/me")
    with django_assert_max_num_queries(3):  # key and organization, record and links, log
        one = write_api.get(f"/api/records/companies/{record['id']}").assert_envelope()
    assert one.status == 200
    assert one.data["fields"] == {
        "revenue": 5,
        "owner": {"id": people[1], "object": "people", "name": "p1"},
        "board": [
            {"id": people[2], "object": "people", "name": "p2"},
            {"id": people[0], "object": "people", "name": "p0"},
        ],
    }
    listed = {item["id"]: item for item in write_api.get("/api/records/companies").data}
    assert {**one.data, "meta": None} == {**listed[record["id"]], "meta": None}
    without = write_api.get(f"/api/records/companies/{plain['id']}").data
    assert without["fields"] == {"revenue": 1}
    upper = write_api.get(f"/api/records/companies/{record['id'].upper()}").data
    assert upper == one.data


def test_values_come_back_exactly_from_lists_and_single_records(schema, write_api):
    extra = {
        "big": 2**70 + 1,
        "negative": -(10**30) - 1,
        "fraction": 0.1,
        "digits": "12345678901234567890123",
        "small": 7,
        "text": "é \u2028 \u2029 \x01",
    }
    record = create(write_api, "Exact", extra=extra, revenue=1e20)
    listed = write_api.get("/api/records/companies").assert_envelope()
    one = write_api.get(f"/api/records/companies/{record['id']}").assert_envelope()
    for payload in (listed.data[0], one.data):
        assert payload["fields"]["extra"] == extra
        assert payload["fields"]["revenue"] == 1e20
    assert b"1180591620717411303425" in listed.raw.content
    assert b"\\u2028 \\u2029" in one.raw.content


def test_the_keys_of_an_object_with_many_fields_are_named_in_part(admin_api):
    fields = [{"api_name": f"f{index:02d}", "type": "text"} for index in range(60)]
    response = admin_api.post("/api/objects", {"api_name": "wide", "fields": fields})
    assert response.status == 201, response.body
    response = admin_api.get("/api/records/wide?colour=red").assert_envelope()
    (problem,) = response.body["errorDetail"]["colour"]
    assert "fields__f35 … and 24 more, with __<operator> where needed." in problem
