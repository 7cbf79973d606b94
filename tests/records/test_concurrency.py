"""Unique values under real concurrency on PostgreSQL: 8 simultaneous creates of the same value
leave exactly one record; the others get a 409 naming the field and the existing id."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from records.models import Record
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db(transaction=True)
WRITERS = 8


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's concurrency")
def test_concurrent_creates_of_one_unique_value_leave_one_record(org, make_key):
    _, admin_key = make_key(org, "admin")
    admin = ApiClient(admin_key)
    created = admin.post(
        "/api/objects",
        {
            "api_name": "companies",
            "fields": [{"api_name": "domain", "type": "text", "unique": True}],
        },
    )
    assert created.status == 201
    start = threading.Barrier(WRITERS)

    def write(index: int):
        try:
            start.wait()
            return ApiClient(admin_key).post(
                "/api/records/companies",
                {"name": f"writer {index}", "fields": {"domain": "acme.com"}},
            )
        finally:
            connections.close_all()

    with ThreadPoolExecutor(WRITERS) as pool:
        responses = list(pool.map(write, range(WRITERS)))

    statuses = sorted(r.status for r in responses)
    assert statuses == [201] + [409] * (WRITERS - 1), [r.body for r in responses]
    winner = next(r for r in responses if r.status == 201).data["id"]
    for response in responses:
        if response.status == 409:
            assert response.body["errorDetail"]["existing_id"] == winner
            assert response.body["errorDetail"]["fields.domain"] == [
                f"Already used by record {winner}."
            ]
    assert Record.objects.filter(object__api_name="companies").count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's concurrency")
def test_concurrent_batches_of_the_same_values_in_opposite_orders(org, make_key):
    """Unique claims are written in one order, so two batches cannot deadlock: one writes
    its records, the other reports each clash as a 409 (no 500)."""
    _, admin_key = make_key(org, "admin")
    ApiClient(admin_key).post(
        "/api/objects",
        {
            "api_name": "companies",
            "fields": [{"api_name": "domain", "type": "text", "unique": True}],
        },
    )
    domains = [f"d{index}.com" for index in range(300)]
    orders = [domains, domains[::-1]]
    start = threading.Barrier(2)

    def write(order):
        try:
            start.wait()
            operations = [{"op": "create", "name": d, "fields": {"domain": d}} for d in order]
            return ApiClient(admin_key).post(
                "/api/records/companies/batch", {"atomic": False, "operations": operations}
            )
        finally:
            connections.close_all()

    with ThreadPoolExecutor(2) as pool:
        responses = list(pool.map(write, orders))
    assert [response.status for response in responses] == [200, 200]
    created = sum(result["status"] == 201 for response in responses for result in response.data)
    conflicts = sum(result["status"] == 409 for response in responses for result in response.data)
    assert (created, conflicts) == (300, 300)
    assert Record.objects.filter(object__api_name="companies").count() == 300


RETRIES = 20


def parallel(count: int, call):
    """`call(index)` on `count` threads released together, each on its own connection."""
    start = threading.Barrier(count)

    def run(index: int):
        try:
            start.wait()
            return call(index)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's concurrency")
def test_concurrent_retries_with_one_idempotency_key_write_once(org, make_key):
    _, admin_key = make_key(org, "admin")
    assert ApiClient(admin_key).post("/api/objects", {"api_name": "companies"}).status == 201
    key = "retry-3f8c2a9e"

    responses = parallel(
        RETRIES,
        lambda _: ApiClient(admin_key).post(
            "/api/records/companies", {"name": "Acme"}, HTTP_IDEMPOTENCY_KEY=key
        ),
    )

    assert {r.status for r in responses} <= {201, 409}, [r.body for r in responses]
    created = [r for r in responses if r.status == 201]
    originals = [r for r in created if "Idempotent-Replayed" not in r.headers]
    assert len(originals) == 1
    for response in created:
        assert response.raw.content == originals[0].raw.content
        assert response.headers["X-Request-Id"] == originals[0].headers["X-Request-Id"]
    for response in responses:
        if response.status == 409:
            assert response.body["errorDetail"] == {
                "Idempotency-Key": ["A request with this key is still running."]
            }
    assert Record.objects.filter(object__api_name="companies").count() == 1
    # Once the first is done, every retry is its replay.
    retry = ApiClient(admin_key).post(
        "/api/records/companies", {"name": "Acme"}, HTTP_IDEMPOTENCY_KEY=key
    )
    assert retry.status == 201 and retry.raw.content == originals[0].raw.content


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's concurrency")
def test_concurrent_patches_with_one_if_match_apply_once(org, make_key):
    from webhooks.models import Event

    _, admin_key = make_key(org, "admin")
    assert ApiClient(admin_key).post("/api/objects", {"api_name": "companies"}).status == 201
    created = ApiClient(admin_key).post("/api/records/companies", {"name": "Acme"})
    path = f"/api/records/companies/{created.data['id']}"
    events_before = Event.objects.count()

    responses = parallel(
        RETRIES,
        lambda index: ApiClient(admin_key).request(
            "PATCH", path, {"name": f"writer {index}"}, HTTP_IF_MATCH=created.headers["ETag"]
        ),
    )

    statuses = sorted(r.status for r in responses)
    assert statuses == [200] + [412] * (RETRIES - 1), [r.body for r in responses]
    winner = next(r for r in responses if r.status == 200)
    assert winner.headers["ETag"] == '"2"'
    for response in responses:
        if response.status == 412:
            assert response.body["errorDetail"] == {"current_version": 2}
    record = Record.objects.get(pk=created.data["id"])
    assert (record.version, record.name) == (2, winner.data["name"])
    assert Event.objects.count() == events_before + 1
