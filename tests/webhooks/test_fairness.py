"""Fairness between endpoints: one that hangs, with a backlog, holds at most
WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT senders; every other endpoint's deliveries go out
meanwhile, with the worker's default concurrency and claim size."""

import threading
import time

import pytest

from tests.webhooks.test_robustness import raw_server, read_request
from webhooks import delivery as delivery_module
from webhooks.delivery import claim_due
from webhooks.models import Delivery

pytestmark = pytest.mark.django_db


class Hanging:
    """A receiver that reads each request and never answers; counts those it holds."""

    def __init__(self):
        self.lock = threading.Lock()
        self.holding = self.most_held = self.requests = 0
        self.listener, self.url = raw_server(self.hang)

    def hang(self, conn):
        with conn:
            try:
                read_request(conn)
            except (EOFError, OSError):
                return
            with self.lock:
                self.requests += 1
                self.holding += 1
                self.most_held = max(self.most_held, self.holding)
            conn.recv(1)  # until the sender gives up and closes
            with self.lock:
                self.holding -= 1


def batch_create(api, count: int, prefix: str) -> None:
    operations = [{"op": "create", "name": f"{prefix}{i}"} for i in range(count)]
    response = api.post("/api/records/companies/batch", {"operations": operations})
    assert response.status == 200, response.body


@pytest.fixture
def hanging():
    hanging = Hanging()
    yield hanging
    hanging.listener.close()


def test_a_hanging_endpoint_does_not_hold_back_the_others(
    schema, write_api, admin_api, receiver, hanging, settings, monkeypatch
):
    settings.WEBHOOK_TIMEOUT_SECONDS = 3.0
    settings.WEBHOOK_RETRY_SCHEDULE = [0, 3600]
    assert settings.WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT == 4
    # The worker stops claiming after a second (then waits for the hanging sends to time out).
    monkeypatch.setattr(delivery_module, "CLAIM_FOR_SECONDS", 1.0)
    admin_api.post("/api/webhooks", {"url": hanging.url, "events": ["*"]})
    # A backlog for the hanging endpoint, older than any other delivery and larger than the
    # worker's claim and its senders...
    batch_create(write_api, 2 * settings.WEBHOOK_CLAIM_SIZE, "backlog-")
    admin_api.post("/api/webhooks", {"url": receiver.url, "events": ["*"]})
    # ...then 20 events for both endpoints.
    batch_create(write_api, 20, "both-")

    arrived_after = []

    def watch(started: float) -> None:
        while time.monotonic() - started < 10:
            if len(receiver.received) >= 20:
                arrived_after.append(time.monotonic() - started)
                return
            time.sleep(0.01)

    started = time.monotonic()
    watcher = threading.Thread(target=watch, args=(started,), daemon=True)
    watcher.start()
    delivery_module.deliver_due()
    watcher.join()
    assert arrived_after and arrived_after[0] < 2, arrived_after
    assert len({message.json["id"] for message in receiver.received}) == 20
    assert hanging.most_held <= settings.WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT
    assert hanging.requests >= 1


def test_a_claim_takes_no_more_per_endpoint_than_its_room(
    schema, write_api, admin_api, receiver, settings
):
    settings.WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT = 3
    busy = admin_api.post("/api/webhooks", {"url": receiver.url, "events": ["*"]}).data
    batch_create(write_api, 10, "busy-")
    quiet = admin_api.post("/api/webhooks", {"url": receiver.url + "?quiet", "events": ["*"]})
    batch_create(write_api, 2, "both-")

    first = claim_due(limit=10)
    by_endpoint = {str(d.endpoint_id) for d in first}
    assert by_endpoint == {busy["id"], quiet.data["id"]}
    assert sum(str(d.endpoint_id) == busy["id"] for d in first) == 3
    # The busy endpoint has 3 in flight: the next claim passes over it entirely.
    assert claim_due(limit=10) == []
    # Once its leases end (its worker died), it has room again.
    Delivery.objects.update(lease_until=None)
    assert len(claim_due(limit=10)) == 3 + 2
