"""What must not break the worker: hostile answers, crashes in one delivery, lost claims,
retries of a delivery in flight, slow receivers; and changes that must still be events."""

import contextlib
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections
from django.utils import timezone

from tests.conftest import ApiClient
from tests.webhooks.conftest import run_worker
from webhooks import delivery as delivery_module
from webhooks.attempts import Outcome, record_outcomes
from webhooks.delivery import attempt, claim_due
from webhooks.models import Attempt, Delivery, Endpoint, Event
from webhooks.sending import SendResult

pytestmark = pytest.mark.django_db


def create_company(api, name="Acme"):
    response = api.post("/api/records/companies", {"name": name})
    assert response.status == 201, response.body
    return response.data


def read_request(conn: socket.socket) -> None:
    """Reads the whole request (headers, then Content-Length bytes): closing a socket with
    unread input resets the connection, and the client would never see the answer."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            raise EOFError("the client closed the connection")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += conn.recv(65536)


def raw_server(handler) -> tuple[socket.socket, str]:
    """A bare TCP server on 127.0.0.1 that runs `handler(conn)` for each connection."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=handler, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    return listener, f"http://127.0.0.1:{listener.getsockname()[1]}/hook"


def test_a_nul_in_an_answer_is_logged_and_the_others_still_go(
    schema, admin_api, write_api, receiver
):
    def answer(conn):
        read_request(conn)
        conn.sendall(b"HTTP/1.1 500 Oops\r\nContent-Length: 10\r\n\r\nok\x00binary")
        conn.close()

    listener, url = raw_server(answer)
    try:
        assert admin_api.post("/api/webhooks", {"url": url, "events": ["*"]}).status == 201
        assert admin_api.post("/api/webhooks", {"url": receiver.url, "events": ["*"]}).status == 201
        create_company(write_api)
        run_worker()
    finally:
        listener.close()
    poisoned = Attempt.objects.filter(delivery__endpoint__url=url).first()
    assert poisoned.status_code == 500 and poisoned.response_body == "ok\ufffdbinary"
    assert len(receiver.received) == 1


def test_a_crash_in_one_delivery_is_its_failed_attempt(
    schema, write_api, receiver, endpoint, monkeypatch
):
    real = delivery_module.post
    calls = []

    def crash_first(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise RuntimeError("boom")
        return real(**kwargs)

    monkeypatch.setattr(delivery_module, "post", crash_first)
    create_company(write_api, "first")
    create_company(write_api, "second")
    run_worker()
    assert Delivery.objects.filter(status="succeeded").count() == 2
    first = Attempt.objects.filter(error__startswith="Internal error").get()
    assert first.error == "Internal error while sending: RuntimeError"
    assert len(receiver.received) == 2


def test_a_non_ascii_url_is_refused(admin_api):
    response = admin_api.post("/api/webhooks", {"url": "http://127.0.0.1/café", "events": ["*"]})
    assert response.assert_envelope().status == 422
    assert response.body["errorDetail"] == {
        "url": ["the URL must be ASCII: percent-encode the path, write the host in punycode."]
    }


def test_a_late_result_does_not_overwrite_a_newer_one(schema, write_api, receiver, endpoint):
    create_company(write_api)
    (stale,) = claim_due(limit=10)
    Delivery.objects.update(lease_until=None)  # the lease ran out: another worker takes over
    (fresh,) = claim_due(limit=10)
    attempt(fresh)
    assert attempt(stale) is None  # it lost its claim: nothing sent, nothing written
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempt_count) == ("succeeded", 1)
    assert len(receiver.received) == 1


def test_retrying_a_delivery_in_flight_does_not_send_it_twice(
    schema, write_api, admin_api, receiver, endpoint
):
    create_company(write_api)
    (claimed,) = claim_due(limit=10)
    retried = admin_api.post(f"/api/webhooks/{endpoint['id']}/deliveries/{claimed.pk}/retry")
    assert retried.status == 200 and retried.data["status"] == "pending"
    attempt(claimed)
    assert run_worker() == 0
    assert len(receiver.received) == 1
    assert Delivery.objects.get().status == "succeeded"


def test_an_endpoint_deleted_mid_claim_is_skipped(schema, write_api, receiver, endpoint):
    create_company(write_api)
    (claimed,) = claim_due(limit=10)
    Endpoint.objects.all().delete()
    assert attempt(claimed) is None
    assert receiver.received == []


def test_a_receiver_that_trickles_its_answer_times_out(schema, write_api, admin_api, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    settings.WEBHOOK_RETRY_SCHEDULE = [0, 3600]

    def trickle(conn):
        read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        for _ in range(20):
            time.sleep(0.2)
            try:
                conn.sendall(b"X-Slow: 1\r\n")
            except OSError:
                return
        conn.close()

    listener, url = raw_server(trickle)
    try:
        admin_api.post("/api/webhooks", {"url": url, "events": ["*"]})
        create_company(write_api)
        started = time.monotonic()
        run_worker()
        elapsed = time.monotonic() - started
    finally:
        listener.close()
    logged = Attempt.objects.get()
    assert logged.status_code is None and logged.error == "Timed out after 0.5 seconds."
    assert elapsed < 2


def test_deleting_a_field_is_an_update_of_the_records_that_had_it(
    schema, admin_api, write_api, receiver, endpoint
):
    acme = create_company(write_api)
    write_api.request("PATCH", f"/api/records/companies/{acme['id']}", {"fields": {"revenue": 5}})
    admin_api.request("DELETE", "/api/objects/companies/fields/revenue")
    run_worker()
    last = receiver.in_change_order()[-1].json
    assert last["type"] == "record.updated" and last["data"]["meta"]["version"] == 3
    assert last["changes"] == {"fields.revenue": {"from": 5, "to": None}}


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's concurrency")
def test_two_concurrent_deletes_make_one_event(org, make_key):
    _, key = make_key(org, "admin")
    api = ApiClient(key)
    api.post("/api/objects", {"api_name": "companies"})
    record = api.post("/api/records/companies", {"name": "Acme"}).data
    start = threading.Barrier(2)

    def delete(_):
        try:
            start.wait()
            return ApiClient(key).request("DELETE", f"/api/records/companies/{record['id']}").status
        finally:
            connections.close_all()

    with ThreadPoolExecutor(2) as pool:
        statuses = sorted(pool.map(delete, range(2)))
    assert statuses == [200, 404]
    assert Event.objects.filter(type="record.deleted").count() == 1


def keep_alive_server(*, answers_per_connection: int, answer_the_last: bool):
    """A bare HTTP/1.1 server that answers `answers_per_connection` requests on a connection
    and then closes it: after the last answer, or on the next request without answering it
    (a server's keep-alive timeout meeting a request on its way). Counts what it read."""
    requests: list[int] = []

    def serve(conn):
        with conn:
            for _ in range(answers_per_connection):
                read_request(conn)
                requests.append(1)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            if not answer_the_last:
                with contextlib.suppress(EOFError):  # the client closed it first
                    read_request(conn)
                    requests.append(1)

    listener, url = raw_server(serve)
    return listener, url, requests


def test_a_kept_connection_the_receiver_closed_is_not_used(schema, admin_api, write_api):
    listener, url, requests = keep_alive_server(answers_per_connection=1, answer_the_last=True)
    try:
        admin_api.post("/api/webhooks", {"url": url, "events": ["*"]})
        for name in ("one", "two", "three"):
            create_company(write_api, name)
            run_worker()
            time.sleep(0.05)  # the receiver's close reaches the kept connection
    finally:
        listener.close()
    assert len(requests) == 3
    assert list(Attempt.objects.values_list("status_code", flat=True)) == [200, 200, 200]


def test_a_request_met_by_the_receivers_close_goes_again_on_a_new_connection(
    schema, admin_api, write_api
):
    listener, url, requests = keep_alive_server(answers_per_connection=1, answer_the_last=False)
    try:
        admin_api.post("/api/webhooks", {"url": url, "events": ["*"]})
        create_company(write_api, "one")
        run_worker()
        create_company(write_api, "two")
        run_worker()
    finally:
        listener.close()
    assert len(requests) == 3  # the second went twice: at least once, as documented
    assert list(Attempt.objects.values_list("status_code", flat=True)) == [200, 200]
    assert set(Delivery.objects.values_list("attempt_count", flat=True)) == {1}


def test_a_failing_claim_leaves_no_send_in_flight_unwritten(
    schema, write_api, receiver, endpoint, settings, monkeypatch
):
    settings.WEBHOOK_SEND_CONCURRENCY, settings.WEBHOOK_CLAIM_SIZE = 4, 2
    real_claim, claims = delivery_module._claim, []

    def second_claim_fails(**kwargs):
        claims.append(kwargs)
        if len(claims) == 2:
            raise RuntimeError("the database went away for a moment")
        return real_claim(**kwargs)

    monkeypatch.setattr(delivery_module, "_claim", second_claim_fails)
    for name in ("a", "b", "c", "d"):
        create_company(write_api, name)
    # The second claim fails with sends in flight, or with results to write (then written
    # one by one, and the claim tried again): either way, no result is left behind.
    assert delivery_module.deliver_due() >= 2
    assert not Delivery.objects.filter(lease_until__isnull=False).exists()
    run_worker()
    assert set(Delivery.objects.values_list("status", "attempt_count")) == {("succeeded", 1)}
    assert len(receiver.received) == 4


def test_a_send_in_flight_when_its_endpoint_answers_410_keeps_its_own_result(
    schema, write_api, endpoint
):
    """Two deliveries sent at once: the 410 of one is written first and turns the endpoint
    off; the other, received (200) meanwhile, is a success, not failed by the turning off."""
    create_company(write_api, "a")
    create_company(write_api, "b")
    first, second = claim_due(limit=10)
    now = timezone.now()
    gone = SendResult(status_code=410, response_body="", error="", duration_ms=1.0)
    received = SendResult(status_code=200, response_body="ok", error="", duration_ms=1.0)
    record_outcomes([Outcome(first, gone, now)])
    assert Endpoint.objects.get().active is False
    record_outcomes([Outcome(second, received, now)])
    statuses = dict(Delivery.objects.values_list("pk", "status"))
    assert (statuses[first.pk], statuses[second.pk]) == ("failed", "succeeded")


def test_turning_an_endpoint_off_fails_its_deliveries_not_in_flight(schema, write_api, endpoint):
    create_company(write_api, "a")
    (claimed,) = claim_due(limit=10)
    create_company(write_api, "b")  # pending, not claimed
    gone = SendResult(status_code=410, response_body="", error="", duration_ms=1.0)
    record_outcomes([Outcome(claimed, gone, timezone.now())])
    assert set(Delivery.objects.values_list("status", flat=True)) == {"failed"}
