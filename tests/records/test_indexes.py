"""On PostgreSQL, the filters and sorts on custom fields are served by indexes that the worker
builds after a field is created, and drops after it is deleted."""

import pytest
from django.core.management import call_command
from django.db import connection

from api.query import SortKey
from records import selectors
from records.models import Field, Object, Record
from records.values import ObjectSchema
from tests.conftest import ApiClient

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL indexes"),
]


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def index_names() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'rec_f_%%'")
        return {row[0] for row in cursor.fetchall()}


def plan(queryset) -> str:
    return queryset.explain()


def test_field_indexes_serve_sorts_and_filters(org, make_key):
    api = ApiClient(make_key(org, "admin")[1])
    response = api.post(
        "/api/objects",
        {
            "api_name": "companies",
            "fields": [
                {"api_name": "revenue", "type": "number"},
                {"api_name": "domain", "type": "text"},
                {"api_name": "notes", "type": "json"},
            ],
        },
    )
    assert response.status == 201
    run_worker()
    obj = Object.objects.get(api_name="companies")
    revenue = Field.objects.get(object=obj, api_name="revenue")
    domain = Field.objects.get(object=obj, api_name="domain")
    notes = Field.objects.get(object=obj, api_name="notes")
    assert {
        f"rec_f_{revenue.key}_asc",
        f"rec_f_{revenue.key}_desc",
        f"rec_f_{domain.key}_asc",
        f"rec_f_{domain.key}_desc",
    } <= index_names()
    assert not any(notes.key in name for name in index_names())

    Record.objects.bulk_create(
        [
            Record(
                org=org,
                object=obj,
                name=f"c{i}",
                values={revenue.key: i * 7 % 5003, domain.key: f"d{i}.com"},
            )
            for i in range(5000)
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE records_record")
    schema = ObjectSchema.of(obj)

    for descending in (False, True):
        sorted_page = selectors.records(
            schema=schema,
            archived="false",
            sort=[SortKey(key="fields__revenue", descending=descending)],
        )[:20]
        assert f"rec_f_{revenue.key}_" in plan(sorted_page), plan(sorted_page)

    ranged = selectors.records(
        schema=schema,
        archived="all",
        sort=[SortKey(key="id", descending=True)],
        query_filters={"fields__revenue__gt": "4990"},
    )
    assert f"rec_f_{revenue.key}_" in plan(ranged), plan(ranged)
    equal = selectors.records(
        schema=schema,
        archived="all",
        sort=[SortKey(key="id", descending=True)],
        query_filters={"fields__domain": "d77.com"},
    )
    assert f"rec_f_{domain.key}_" in plan(equal), plan(equal)
    assert [r.name for r in equal] == ["c77"]

    assert api.request("DELETE", "/api/objects/companies/fields/revenue").status == 200
    run_worker()
    assert not any(revenue.key in name for name in index_names())
