"""The value index: every write through the API keeps it in step with the records (database
triggers, on PostgreSQL and SQLite), filters and sorts read it, and on PostgreSQL the index
count of the records tables does not grow with fields, and big lists use the indexes."""

import importlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from records.field_types import FIELD_TYPES
from records.models import Field, IndexedValue, Object

VALUE_INDEX_MIGRATION = importlib.import_module("records.migrations.0002_value_index")


def rows_by_field(record_id: str) -> dict[str, list[tuple]]:
    fields = {field.pk: field.api_name for field in Field.objects.all()}
    found: dict[str, list[tuple]] = {}
    rows = IndexedValue.objects.filter(record_id=record_id).order_by("field_id", "position")
    for row in rows:
        found.setdefault(fields[row.field_id], []).append(
            (row.position, row.archived, row.number, row.text, row.words)
        )
    return found


def company(write_api, **fields) -> str:
    response = write_api.post("/api/records/companies", {"name": "Acme", "fields": fields})
    assert response.status == 201, response.body
    return response.data["id"]


def person(write_api, name: str) -> str:
    return write_api.post("/api/records/people", {"name": name}).data["id"]


def test_the_triggers_know_the_field_types_as_their_classes_do():
    """The migration's type lists are the field types' `indexed_as`/`substring_indexed`."""
    migration = VALUE_INDEX_MIGRATION
    for name, field_type in FIELD_TYPES.items():
        assert (name in migration.UNINDEXED_TYPES) == (field_type.indexed_as is None), name
        assert (name in migration.NUMBER_TYPES) == (field_type.indexed_as == "number"), name
        assert (name in migration.SUBSTRING_TYPES) == field_type.substring_indexed, name


def test_each_type_is_indexed_in_its_column(schema, write_api):
    ada, bob = person(write_api, "Ada"), person(write_api, "Bob")
    long_name = "x" * 250
    record_id = company(
        write_api,
        domain=long_name,
        revenue=12.5,
        employees=40,
        public=True,
        founded="2020-02-29",
        last_contact="2024-05-01T10:00:00Z",
        email="ops@acme.io",
        phone="+1 555 0100",
        website="https://acme.io",
        notes="long notes",
        tier="b",
        tags=["x", "z"],
        owner=ada,
        board=[ada, bob],
        extra={"a": 1},
    )
    rows = rows_by_field(record_id)
    assert rows["domain"] == [(0, False, None, long_name[:200], long_name)]
    assert rows["revenue"] == [(0, False, 12.5, None, None)]
    assert rows["employees"] == [(0, False, 40.0, None, None)]
    assert rows["public"] == [(0, False, None, "true", None)]
    assert rows["founded"] == [(0, False, None, "2020-02-29", None)]
    assert rows["last_contact"][0][3].startswith("2024-05-01T10:00:00")
    assert rows["email"] == [(0, False, None, "ops@acme.io", "ops@acme.io")]
    assert rows["tier"] == [(0, False, None, "b", None)]
    assert rows["tags"] == [(0, False, None, "x", None), (1, False, None, "z", None)]
    assert rows["owner"] == [(0, False, None, ada, None)]
    assert rows["board"] == [(0, False, None, ada, None), (1, False, None, bob, None)]
    assert "notes" not in rows and "extra" not in rows  # long_text and json: not indexed


def test_writes_keep_the_index_in_step(schema, write_api, admin_api):
    record_id = company(write_api, revenue=10, tags=["x"])
    url = f"/api/records/companies/{record_id}"
    assert write_api.request("PATCH", url, {"fields": {"revenue": 20, "tags": None}}).status == 200
    assert rows_by_field(record_id) == {"revenue": [(0, False, 20.0, None, None)]}

    assert write_api.post(f"{url}/archive").status == 200
    assert rows_by_field(record_id) == {"revenue": [(0, True, 20.0, None, None)]}
    assert write_api.post(f"{url}/unarchive").status == 200
    assert rows_by_field(record_id) == {"revenue": [(0, False, 20.0, None, None)]}

    creates = [{"op": "create", "name": f"b{i}", "fields": {"revenue": i}} for i in range(3)]
    batch = write_api.post("/api/records/companies/batch", {"operations": creates})
    assert batch.status == 200, batch.body
    created = [result["data"]["id"] for result in batch.data]
    assert [rows_by_field(i)["revenue"][0][2] for i in created] == [0.0, 1.0, 2.0]

    assert admin_api.request("DELETE", "/api/objects/companies/fields/revenue").status == 200
    assert rows_by_field(record_id) == {}
    assert write_api.request("DELETE", url).status == 200
    companies = list(Field.objects.filter(object__api_name="companies"))
    assert IndexedValue.objects.filter(record_id=record_id).count() == 0
    company(write_api, tier="a")
    assert IndexedValue.objects.filter(field__in=companies).exists()
    assert admin_api.request("DELETE", "/api/objects/companies?force=true").status == 200
    assert not IndexedValue.objects.filter(field__in=companies).exists()


def test_filters_read_the_index_and_fall_back_for_long_operands(schema, write_api):
    long_value = "y" * 300
    first = company(write_api, domain=long_value, revenue=5, tags=["x"])
    second = company(write_api, domain="short.io", revenue=50, tags=["y", "z"])

    def ids(query: str) -> list[str]:
        response = write_api.get(f"/api/records/companies?{query}")
        assert response.status == 200, response.body
        return sorted(record["id"] for record in response.data)

    assert ids("fields__revenue__gte=5&fields__revenue__lte=10") == [first]
    assert ids("fields__revenue__gt=5") == [second]
    assert ids(f"fields__domain={long_value}") == [first]  # 300 characters: read from JSON
    assert ids(f"fields__domain__lt={long_value}") == [second]
    assert ids("fields__domain__icontains=SHORT") == [second]
    assert ids("fields__tags=z") == [second]
    assert ids("fields__tags__contains=x") == [first]
    assert ids("name__icontains=ACM") == sorted([first, second])
    assert ids("name__contains=ACM") == []


def test_sorting_by_a_field_puts_records_without_a_value_last(schema, write_api):
    names = {}
    for name, revenue in (("a", 3), ("b", None), ("c", 1), ("d", 2), ("e", None)):
        fields = {} if revenue is None else {"revenue": revenue}
        response = write_api.post("/api/records/companies", {"name": name, "fields": fields})
        names[response.data["id"]] = name

    def page(query: str) -> list[str]:
        response = write_api.get(f"/api/records/companies?{query}")
        assert response.status == 200, response.body
        return [names[record["id"]] for record in response.data]

    assert page("sort=fields__revenue") == ["c", "d", "a", "b", "e"]
    assert page("sort=-fields__revenue") == ["a", "d", "c", "e", "b"]
    assert page("sort=-fields__revenue&limit=2&offset=2") == ["c", "e"]
    assert page("sort=-fields__revenue&limit=2&offset=3") == ["e", "b"]
    assert page("sort=-fields__revenue&limit=2&offset=4") == ["b"]
    assert page("sort=fields__revenue,name") == ["c", "d", "a", "b", "e"]
    listed = write_api.get("/api/records/companies?sort=-fields__revenue&limit=2")
    assert listed.body["pagination"]["total"] == 5


def company_pages(api, queries: list[str]) -> list[list[str]]:
    """The ids on the page of each list query of companies."""
    found = []
    for query in queries:
        response = api.get(f"/api/records/companies?{query}")
        assert response.status == 200, response.body
        found.append([record["id"] for record in response.data])
    return found


def test_both_ways_of_reading_a_filtered_sorted_list_give_the_same_pages(
    schema, write_api, monkeypatch
):
    """A list sorted by one field and filtered on another is read by matching first or by
    walking the sort field's index (records.selectors.RecordListing, chosen by the total):
    the same records in the same order either way, archived, empty and tied values too."""
    from records import value_index

    for i in range(30):
        fields = {"revenue": i % 7}
        if i % 4:
            fields["founded"] = f"20{10 + i % 5}-01-01"  # ties, and some without a value
        response = write_api.post("/api/records/companies", {"name": f"c{i}", "fields": fields})
        if i % 9 == 0:
            write_api.post(f"/api/records/companies/{response.data['id']}/archive")

    queries = [
        f"fields__revenue__gte=2&fields__revenue__lte=5&sort={sort}&archived={archived}"
        f"&limit={limit}&offset={offset}"
        for sort in ("fields__founded", "-fields__founded")
        for archived in ("false", "all")
        for limit, offset in ((100, 0), (4, 0), (4, 14), (5, 18))
    ] + ["fields__revenue=3&sort=-fields__founded", "fields__revenue__in=1,6&sort=fields__founded"]

    monkeypatch.setattr(value_index, "estimated_rows", lambda field: None)
    matched_first = company_pages(write_api, queries)
    monkeypatch.setattr(value_index, "estimated_rows", lambda field: 0)
    walked = company_pages(write_api, queries)
    assert matched_first == walked
    assert any(len(page) > 3 for page in walked)


def test_lists_in_built_in_orders_read_either_way_give_the_same_pages(
    schema, write_api, monkeypatch
):
    """A filtered list by id, name or a time is read by walking the object's index or by
    sorting the matches (chosen by the total): the same records in the same order."""
    from records import selectors

    for i in range(24):
        name = f"{'acme' if i % 3 else 'other'} {i % 5}"  # ties on name
        response = write_api.post("/api/records/companies", {"name": name, "fields": {}})
        if i % 7 == 0:
            write_api.post(f"/api/records/companies/{response.data['id']}/archive")
    queries = [
        f"name__icontains=acme&sort={sort}&archived={archived}&limit={limit}&offset={offset}"
        for sort in ("-id", "id", "name", "-name", "created_at", "-updated_at", "name,-id")
        for archived in ("false", "all")
        for limit, offset in ((100, 0), (3, 0), (4, 9))
    ]

    monkeypatch.setattr(selectors, "estimated_records", lambda schema, archived: 0)
    walked = company_pages(write_api, queries)
    monkeypatch.setattr(selectors, "estimated_records", lambda schema, archived: 10**9)
    sorted_matches = company_pages(write_api, queries)
    assert walked == sorted_matches
    assert any(len(page) > 3 for page in walked)


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's indexes and plans"
)


def records_table_indexes() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_indexes "
            "WHERE tablename IN ('records_record', 'records_indexedvalue')"
        )
        return cursor.fetchone()[0]


@postgresql_only
def test_fields_add_no_indexes(admin_api):
    before = records_table_indexes()
    fields = [{"api_name": f"f{i}", "type": "number"} for i in range(50)]
    assert admin_api.post("/api/objects", {"api_name": "wide", "fields": fields}).status == 201
    assert admin_api.post("/api/objects/wide/fields", {"api_name": "g", "type": "text"}).status
    assert records_table_indexes() == before


@postgresql_only
def test_the_triggers_read_the_statements_rows_not_the_records_table(db):
    """Each trigger reads its transition tables only: reading the records table (the view of
    every record's rows) made a batch's cost grow with the table whenever its statistics were
    stale, as during a first load."""
    with connection.cursor() as cursor:
        for function in ("records_index_inserted", "records_index_updated"):
            cursor.execute("SELECT pg_get_functiondef(%s::regproc)", [function])
            body = cursor.fetchone()[0]
            assert "records_index_rows(r)" in body and "new_rows" in body, body
            assert "records_indexed_rows" not in body and "records_record" not in body, body


DEALS = 100_000
DEALS_OBJECT = {
    "api_name": "deals",
    "fields": [
        {"api_name": "amount", "type": "number"},
        {"api_name": "close_date", "type": "date"},
    ],
}


def load_deals(org, obj: Object, count: int = DEALS) -> None:
    """`count` deals in one statement (the insert trigger indexes them in one go), with ids
    that grow with time as the product's do (UUIDv7)."""
    keys = {field.api_name: field.key for field in obj.fields.all()}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO records_record
                (id, org_id, object_id, name, "values", created_at, updated_at, version)
            SELECT (lpad(to_hex(now_ms + i), 12, '0') || '7000' || '8000'
                    || lpad(to_hex(i), 12, '0'))::uuid,
                   %s, %s, 'Deal ' || lpad(i::text, 6, '0'),
                   jsonb_build_object(%s, (i * 7919) %% 1000000, %s,
                       to_char(date '2023-01-01' + (i * 13) %% 1095, 'YYYY-MM-DD')),
                   now(), now(), 1
            FROM generate_series(1, %s) AS i,
                 (SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now_ms) AS t
            """,
            [org.pk, obj.pk, keys["amount"], keys["close_date"], count],
        )
        # What autovacuum does after a bulk load: statistics, and the visibility map that
        # index-only scans need.
        cursor.execute("VACUUM ANALYZE records_record")
        cursor.execute("VACUUM ANALYZE records_indexedvalue")


def plans_of(api, path: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = api.get(path)
    assert response.status == 200, response.body
    plans = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            sql = query["sql"]
            reads = ('FROM "records_record"', 'FROM "records_indexedvalue"')
            if sql.startswith("SELECT") and any(table in sql for table in reads):
                cursor.execute("EXPLAIN " + sql)
                plans.append("\n".join(row[0] for row in cursor.fetchall()))
    return plans


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_big_lists_use_the_indexes(org, make_key):
    """c: a number range sorted by a date; e: a name substring; at 100,000 records. No plan
    reads a whole table."""
    from tests.conftest import ApiClient

    api = ApiClient(make_key(org, "admin")[1])
    deals = DEALS_OBJECT
    assert api.post("/api/objects", deals).status == 201
    load_deals(org, Object.objects.get(org=org, api_name="deals"))

    ranged = plans_of(
        api,
        "/api/records/deals?fields__amount__gte=200000&fields__amount__lte=466666"
        "&sort=-fields__close_date",
    )
    searched = plans_of(api, "/api/records/deals?name__icontains=999")
    for plan in (*ranged, *searched):
        assert "Seq Scan" not in plan, plan
    count, page = ranged
    assert "indexedvalue_number" in count, count  # counted in the index alone
    assert "records_record" not in count.split("Index Only Scan")[0], count
    assert "Index Only Scan Backward using indexedvalue_text" in page, page
    assert "Sort" not in page.split("Limit")[1].split("->")[1], page  # walked in order
    assert all("record_name_trgm" in plan for plan in searched), searched


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_list_does_not_walk_past_other_objects_newer_records(org, other_org, make_key):
    """A page by id reads the object's own index, not the primary key: walking that from the
    newest record would pass every newer record of every other object first."""
    from tests.conftest import ApiClient

    api, other_api = (ApiClient(make_key(owner, "admin")[1]) for owner in (org, other_org))
    deals = DEALS_OBJECT
    for client in (api, other_api):
        assert client.post("/api/objects", deals).status == 201
    load_deals(org, Object.objects.get(org=org, api_name="deals"))
    # Newer, and few: to the planner the first object is most of the table.
    load_deals(other_org, Object.objects.get(org=other_org, api_name="deals"), count=10_000)

    for path in ("/api/records/deals?limit=100", "/api/records/deals?name__icontains=99"):
        count, page = plans_of(api, path)
        assert "records_record_pkey" not in page, page
        assert "Seq Scan" not in count + page, count + page
