"""Object schemas are cached per process, keyed on the organization's schema version: record
routes read only the key, the records and write the log row, and a schema change made anywhere
(another process, the admin, a service) is seen by the very next request."""

import copy
import re

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from accounts.models import Organization
from records import services
from records.filters import targets
from records.models import Field, Object
from records.ordering import sort_keys
from records.schema_cache import cached_schema, clear_schema_cache
from tests.conftest import staff_member

pytestmark = pytest.mark.django_db

READS_SCHEMA = re.compile(r'FROM "records_(object|field)"')


def queries_of(call) -> tuple[object, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = call()
    return response, [query["sql"] for query in queries.captured_queries]


def version(org: Organization) -> int:
    return Organization.objects.values_list("schema_version", flat=True).get(pk=org.pk)


def test_reading_one_record_is_the_key_the_record_and_the_log_row(schema, write_api):
    record = write_api.post("/api/records/companies", {"name": "Acme", "fields": {"revenue": 1}})
    path = f"/api/records/companies/{record.data['id']}"
    write_api.get(path)  # the key's last use is written at most once a minute: done now
    response, sql = queries_of(lambda: write_api.get(path))
    assert response.status == 200 and response.data["fields"] == {"revenue": 1}
    assert len(sql) == 3, sql
    assert 'FROM "accounts_apikey" INNER JOIN "accounts_organization"' in sql[0]
    assert 'FROM "records_record"' in sql[1]
    assert sql[2].startswith('INSERT INTO "api_requestlog"')


def test_a_new_process_reads_the_schema_once(schema, write_api):
    record = write_api.post("/api/records/companies", {"name": "Acme"}).data
    path = f"/api/records/companies/{record['id']}"
    write_api.get(path)
    clear_schema_cache()  # as a process that just started
    _, first = queries_of(lambda: write_api.get(path))
    _, then = queries_of(lambda: write_api.get(path))
    assert (len(first), len(then)) == (5, 3)  # + the object and its fields, once
    assert len([q for q in first if READS_SCHEMA.search(q)]) == 2


def test_a_list_is_the_key_count_page_links_and_log_row(schema, write_api):
    people = [write_api.post("/api/records/people", {"name": f"p{i}"}).data for i in range(3)]
    for index in range(5):
        write_api.post(
            "/api/records/companies",
            {"name": f"c{index}", "fields": {"owner": people[index % 3]["id"]}},
        )
    write_api.get("/api/records/companies")
    response, sql = queries_of(lambda: write_api.get("/api/records/companies"))
    assert len(response.data) == 5 and len(sql) == 5, sql  # one query for every link's name
    filtered = "/api/records/people?fields__email__isnull=true"
    _, cold = queries_of(lambda: write_api.get(filtered))
    _, sql = queries_of(lambda: write_api.get(filtered))
    assert len(sql) == 4, sql  # key, count, page, log row: no links to name
    # A process's first filtered list of an object also asks PostgreSQL's planner how many
    # records the object has (kept a minute): one EXPLAIN, no more.
    explains = [query for query in cold if query.startswith("EXPLAIN")]
    assert len(cold) == len(sql) + len(explains)
    assert len(explains) == (1 if connection.vendor == "postgresql" else 0), cold


def test_writes_read_no_schema(schema, write_api):
    write_api.get("/api/records/companies")
    created, sql = queries_of(
        lambda: write_api.post("/api/records/companies", {"name": "A", "fields": {"revenue": 1}})
    )
    assert created.status == 201
    assert not [q for q in sql if READS_SCHEMA.search(q)], sql
    # key, record, event, the endpoints that want it, log row; the transaction's two ends
    assert len(sql) <= 7, sql
    path = f"/api/records/companies/{created.data['id']}"
    updated, sql = queries_of(lambda: write_api.request("PATCH", path, {"fields": {"revenue": 2}}))
    assert updated.status == 200
    assert not [q for q in sql if READS_SCHEMA.search(q)], sql
    # key, record, its re-read under lock, update, event, endpoints, log row; the transaction
    assert len(sql) <= 9, sql


def test_a_schema_change_made_elsewhere_is_seen_by_the_next_request(schema, write_api, org):
    """Nothing tells this process about the change (no invalidation exists): the services run
    here as they would in another process, and only the version in the database moves."""
    write_api.post("/api/records/companies", {"name": "Acme"})
    assert "stage" not in write_api.get("/api/records/companies").data[0]["fields"]
    companies = Object.objects.get(org=org, api_name="companies")
    before = version(org)
    stale = cached_schema(org=Organization.objects.get(pk=org.pk), api_name="companies")

    services.create_field(obj=companies, definition={"api_name": "stage", "type": "text"})
    assert version(org) == before + 1
    created = write_api.post("/api/records/companies", {"name": "B", "fields": {"stage": "won"}})
    assert created.status == 201, created.body
    assert write_api.get("/api/records/companies?fields__stage=won").data[0]["name"] == "B"
    assert stale.field("stage") is None  # still cached under the old version, never served

    stage = Field.objects.get(object=companies, api_name="stage")
    services.update_field(field=stage, changes={"api_name": "phase"})
    listed = write_api.get("/api/records/companies?sort=fields__phase").assert_envelope()
    assert listed.status == 200 and listed.data[0]["fields"] == {"phase": "won"}

    services.delete_field(field=Field.objects.get(pk=stage.pk))
    refused = write_api.post("/api/records/companies", {"name": "C", "fields": {"phase": "x"}})
    assert refused.status == 422
    assert write_api.get("/api/records/companies?fields__phase=won").status == 400


def test_the_version_alone_decides_what_is_current(schema, write_api, org):
    """A change written straight to the database is served once the version moves with it."""
    write_api.post("/api/records/companies", {"name": "Acme", "fields": {"revenue": 5}})
    assert write_api.get("/api/records/companies").data[0]["fields"] == {"revenue": 5}
    Field.objects.filter(org=org, api_name="revenue").update(api_name="turnover")
    Organization.objects.filter(pk=org.pk).update(schema_version=F("schema_version") + 1)
    assert write_api.get("/api/records/companies").data[0]["fields"] == {"turnover": 5}


def test_a_field_added_in_the_admin_is_seen_by_the_next_request(schema, write_api, org):
    staff = staff_member(org, app_labels=["records"])
    write_api.get("/api/records/companies")
    companies = Object.objects.get(org=org, api_name="companies")
    added = staff.post(
        "/admin/records/field/add/",
        {
            "object": str(companies.pk),
            "api_name": "stage",
            "label": "Stage",
            "type": "text",
            "description": "",
            "options": "{}",
        },
    )
    assert added.status_code == 302, added.content.decode()[:2000]
    created = write_api.post("/api/records/companies", {"name": "B", "fields": {"stage": "won"}})
    assert created.status == 201, created.body


def shared_state(schema) -> list:
    """What requests could change on the cached instances: their attributes, related objects
    loaded onto them, and what was derived from them."""

    def of(instance) -> tuple:
        attributes = {
            k: v
            for k, v in vars(instance).items()
            if k not in ("_state", "_prefetched_objects_cache")
        }
        prefetched = {
            name: [each.pk for each in rows]
            for name, rows in getattr(instance, "_prefetched_objects_cache", {}).items()
        }
        related = {name: id(value) for name, value in instance._state.fields_cache.items()}
        return copy.deepcopy(attributes), prefetched, related

    return [
        of(schema.obj),
        *(of(field) for field in schema.fields),
        copy.deepcopy(sorted(schema.derived(targets))),
        copy.deepcopy(sorted(schema.derived(sort_keys))),
    ]


def test_requests_never_change_the_shared_schema(schema, write_api, admin_api, org):
    admin_api.post("/api/webhooks", {"url": "http://127.0.0.1:9/hook", "events": ["record.*"]})
    person = write_api.post("/api/records/people", {"name": "Jane"}).data["id"]
    write_api.get("/api/records/companies?fields__tier=a&sort=-fields__revenue")
    shared = cached_schema(org=Organization.objects.get(pk=org.pk), api_name="companies")
    before = shared_state(shared)

    fields = {"domain": "acme.com", "tier": "a", "tags": ["x"], "owner": person, "board": [person]}
    acme = write_api.post("/api/records/companies", {"name": "Acme", "fields": fields}).data
    other = write_api.post("/api/records/companies", {"name": "Other"}).data
    path = f"/api/records/companies/{acme['id']}"
    calls = [
        ("GET", path, None),
        ("PATCH", path, {"fields": {"revenue": 3, "extra": {"a": [1]}, "tier": None}}),
        ("GET", "/api/records/companies?fields__tags=x&fields__revenue__gte=1&sort=name", None),
        ("POST", "/api/records/companies/search", {"any": [{"name": {"value": ["Acme"]}}]}),
        ("GET", "/api/records/companies/lookup?domain=acme.com", None),
        ("GET", "/api/records/companies/field-values/owner", None),
        ("POST", "/api/records/companies/upsert", {"name": "Acme", "fields": {"revenue": 4}}),
        (
            "POST",
            "/api/records/companies/batch",
            {"operations": [{"op": "create", "name": "B", "fields": {"owner": person}}]},
        ),
        ("POST", f"{path}/archive", None),
        ("POST", f"{path}/unarchive", None),
        ("DELETE", f"/api/records/companies/{other['id']}", None),
        ("DELETE", f"/api/records/people/{person}", None),
    ]
    for method, call_path, body in calls:
        response = write_api.request(method, call_path, body).assert_envelope()
        assert response.status < 300, (method, call_path, response.body)
    merged = write_api.post("/api/records/companies", {"name": "Dup"}).data
    response = write_api.post(
        f"{path}/merge", {"from": merged["id"]}, HTTP_X_EXPERIMENTAL="merge"
    ).assert_envelope()
    assert response.status == 200, response.body

    assert cached_schema(org=Organization.objects.get(pk=org.pk), api_name="companies") is shared
    assert shared_state(shared) == before
