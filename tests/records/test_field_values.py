"""Field values: counts match a Python count over the same data; filters apply."""

from collections import Counter

import pytest

from tests.records.test_filters import dataset, stored  # noqa: F401 - the shared data set

pytestmark = pytest.mark.django_db


def expected(records, key, *, many=False):
    counts: Counter = Counter()
    for record in records:
        value = stored(record, key)
        if many:
            counts.update(value or [None])
        else:
            counts[value] += 1
    return sorted(
        counts.items(), key=lambda i: (-i[1], i[0] is None, i[0] if i[0] is not None else "")
    )


@pytest.mark.parametrize(
    ("field", "many"),
    [
        ("tier", False),
        ("employees", False),
        ("public", False),
        ("tags", True),
        ("board", True),
        ("founded", False),
    ],
)
def test_counts_match_python(dataset, write_api, field, many):  # noqa: F811
    response = write_api.get(f"/api/records/companies/field-values/{field}?limit=1000")
    assert response.assert_envelope().status == 200, response.body
    got = [
        (item["value"]["id"] if isinstance(item["value"], dict) else item["value"], item["count"])
        for item in response.data
    ]
    want = expected(dataset, f"fields__{field}", many=many)
    assert got == want
    assert response.body["pagination"]["total"] == len(want)


def test_relationship_values_read_as_links_and_filters_apply(dataset, write_api):  # noqa: F811
    response = write_api.get(
        "/api/records/companies/field-values/owner?fields__revenue__gt=0&limit=1000"
    ).assert_envelope()
    chosen = [r for r in dataset if (stored(r, "fields__revenue") or 0) > 0]
    want = expected(chosen, "fields__owner")
    got = [(i["value"]["id"] if i["value"] else None, i["count"]) for i in response.data]
    assert got == want
    link = next(i["value"] for i in response.data if i["value"])
    assert set(link) == {"id", "object", "name"} and link["object"] == "people"


def test_pagination_and_bad_inputs(dataset, write_api):  # noqa: F811
    everything = write_api.get("/api/records/companies/field-values/tier?limit=1000").data
    page = write_api.get("/api/records/companies/field-values/tier?limit=2&offset=1").data
    assert page == everything[1:3]
    assert write_api.get("/api/records/companies/field-values/nope").status == 404
    assert write_api.get("/api/records/companies/field-values/tier?sort=count").status == 400
    assert write_api.get("/api/records/companies/field-values/tier?colour=1").status == 400


def test_field_values_query_count(dataset, write_api, django_assert_num_queries):  # noqa: F811
    # key, the object's records and those with a value (each counted in an index), page, log
    # (the schema is cached); the whole list is on the page, so its length is the total
    with django_assert_num_queries(5):
        everything = write_api.get("/api/records/companies/field-values/tier")
    with django_assert_num_queries(6):  # a part of the list: the total is counted
        first = write_api.get("/api/records/companies/field-values/tier?limit=1")
    with django_assert_num_queries(3):  # filtered: key, page with the empty entry, log
        write_api.get("/api/records/companies/field-values/tier?name__icontains=a")
    total = len(everything.data)
    assert total > 1
    assert everything.body["pagination"]["total"] == first.body["pagination"]["total"] == total
    assert first.data == everything.data[:1]


def test_text_that_looks_like_json_is_counted_as_text(admin_api):
    admin_api.post(
        "/api/objects",
        {
            "api_name": "notes",
            "fields": [{"api_name": "t", "type": "text"}, {"api_name": "j", "type": "json"}],
        },
    )
    for value in ("123", "true", "null", "[1, 2]", "123"):
        admin_api.post("/api/records/notes", {"name": "n", "fields": {"t": value}})
    counted = admin_api.get("/api/records/notes/field-values/t").data
    assert counted == [
        {"value": "123", "count": 2},
        {"value": "[1, 2]", "count": 1},
        {"value": "null", "count": 1},
        {"value": "true", "count": 1},
    ]
    refused = admin_api.get("/api/records/notes/field-values/j").assert_envelope()
    assert refused.status == 400


def test_field_values_respect_archived(admin_api):
    admin_api.post(
        "/api/objects", {"api_name": "tags", "fields": [{"api_name": "t", "type": "text"}]}
    )
    kept = admin_api.post("/api/records/tags", {"name": "a", "fields": {"t": "x"}}).data
    gone = admin_api.post("/api/records/tags", {"name": "b", "fields": {"t": "y"}}).data
    admin_api.post(f"/api/records/tags/{gone['id']}/archive")
    assert admin_api.get("/api/records/tags/field-values/t").data == [{"value": "x", "count": 1}]
    every = admin_api.get("/api/records/tags/field-values/t?archived=all").data
    assert every == [{"value": "x", "count": 1}, {"value": "y", "count": 1}]
    only_archived = admin_api.get("/api/records/tags/field-values/t?archived=true").data
    assert only_archived == [{"value": "y", "count": 1}]
    admin_api.post("/api/records/tags", {"name": "c"})  # no value: the empty entry
    admin_api.post("/api/records/tags", {"name": "d"})
    with_empty = admin_api.get("/api/records/tags/field-values/t?archived=all").data
    assert with_empty == [
        {"value": None, "count": 2},
        {"value": "x", "count": 1},
        {"value": "y", "count": 1},
    ]
    filtered = admin_api.get("/api/records/tags/field-values/t?name__in=a,c").data
    assert filtered == [{"value": "x", "count": 1}, {"value": None, "count": 1}]
    assert kept
