"""Real `manage.py db_worker` processes against the test database: a worker killed mid-send
loses nothing, and on PostgreSQL two workers share the work without sending anything twice."""

import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

from tests.conftest import ApiClient
from tests.server import start_db_worker
from webhooks.models import Attempt, Delivery

pytestmark = pytest.mark.django_db(transaction=True)


def database_url() -> str:
    """The URL of the test database itself, for child processes."""
    name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(name).resolve()}"
    base, _, _ = os.environ["DATABASE_URL"].rpartition("/")
    return f"{base}/{name}"


def start_worker(tmp_path: Path, name: str, **settings: str) -> subprocess.Popen:
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(
        {
            "DATABASE_URL": database_url(),
            "VAR_DIR": str(tmp_path),
            "PYTHONUNBUFFERED": "1",
            "WEBHOOK_RETRY_SCHEDULE": "0,0,0,0,0,0,0,0",
            **settings,
        }
    )
    return start_db_worker(env, tmp_path / f"{name}.log")


def wait_for(condition, timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def admin(org, make_key):
    _, key = make_key(org, "admin")
    api = ApiClient(key)
    assert api.post("/api/objects", {"api_name": "companies"}).status == 201
    return api


def test_a_worker_killed_mid_send_loses_nothing(tmp_path, admin, receiver):
    receiver.answer((200, "too late", 30.0))  # the first send hangs until the worker is gone
    endpoint = admin.post("/api/webhooks", {"url": receiver.url, "events": ["*"]}).data
    admin.post("/api/records/companies", {"name": "Acme"})
    first = start_worker(tmp_path, "first", WEBHOOK_LEASE_SECONDS="2")
    try:
        wait_for(lambda: len(receiver.received) == 1, what="the first worker's send")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        stop(first)
    assert Delivery.objects.get().status == "pending"  # it died before it could log anything
    second = start_worker(tmp_path, "second", WEBHOOK_LEASE_SECONDS="2")
    try:
        wait_for(
            lambda: Delivery.objects.get().status == "succeeded",
            what="the second worker's delivery",
        )
    finally:
        stop(second)
    delivery = Delivery.objects.get()
    assert delivery.endpoint_id.hex == endpoint["id"].replace("-", "")
    assert [a.status_code for a in delivery.attempts.all()] == [200]
    ids = [message.headers["webhook-id"] for message in receiver.received]
    assert len(ids) == 2 and len(set(ids)) == 1  # at least once, never lost


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SKIP LOCKED needs PostgreSQL")
def test_two_workers_deliver_500_events_each_once(tmp_path, admin, receiver, settings):
    admin.post("/api/webhooks", {"url": receiver.url, "events": ["*"]})
    operations = [{"op": "create", "name": f"c{index}"} for index in range(500)]
    assert admin.post("/api/records/companies/batch", {"operations": operations}).status == 200
    # One endpoint: its limit of sends in flight (all workers together) is raised above both
    # workers' senders, or the second worker would have nothing it may send.
    workers = [
        start_worker(tmp_path, f"worker{index}", WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT="64")
        for index in range(2)
    ]
    try:
        wait_for(
            lambda: Delivery.objects.filter(status="succeeded").count() == 500,
            timeout=120,
            what="500 deliveries",
        )
    finally:
        for worker in workers:
            stop(worker)
    counts = Counter(message.headers["webhook-id"] for message in receiver.received)
    assert len(counts) == 500 and set(counts.values()) == {1}
    assert Delivery.objects.exclude(attempt_count=1).count() == 0
    assert Attempt.objects.count() == 500
    # Each worker sends several at once on kept-alive connections: at most one per sender.
    connections = {message.connection for message in receiver.received}
    assert len(connections) <= 2 * settings.WEBHOOK_SEND_CONCURRENCY
    logs = [(tmp_path / f"worker{index}.log").read_text() for index in range(2)]
    assert all("deliver_due_webhooks" in log for log in logs), "both workers took part"
