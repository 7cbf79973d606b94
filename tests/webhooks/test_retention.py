"""Events are kept 30 days (WEBHOOK_EVENT_RETENTION_DAYS) and purged by a daily task."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tests.webhooks.conftest import run_worker
from webhooks.models import Attempt, Delivery, Event
from webhooks.tasks import (
    deliver_due_webhooks,
    prune_finished_wake_ups,
    purge_old_events,
    sweep_deliveries,
)

pytestmark = pytest.mark.django_db


def test_old_events_go_with_their_deliveries(schema, write_api, endpoint, receiver):
    for name in ("old", "new"):
        write_api.post("/api/records/companies", {"name": name})
    run_worker()
    old = Event.objects.get(payload__data__name="old")
    Event.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))
    purge_old_events.call()
    assert list(Event.objects.values_list("payload__data__name", flat=True)) == ["new"]
    assert Delivery.objects.count() == 1 and Attempt.objects.count() == 1
    assert [e["data"]["name"] for e in write_api.get("/api/events").data] == ["new"]
    # ...and the task queued itself for tomorrow.
    queued = DBTaskResult.objects.get(task_path=purge_old_events.module_path, status="READY")
    assert timedelta(hours=23) < queued.run_after - timezone.now() <= timedelta(days=1)


def test_the_periodic_tasks_are_scheduled_once(capsys):
    call_command("schedule_periodic_tasks")
    call_command("schedule_periodic_tasks")
    out = capsys.readouterr().out
    assert (
        "Queued: sweep_deliveries, purge_old_events, prune_finished_wake_ups, "
        "purge_old_request_logs, purge_expired_idempotency_keys." in out
    )
    assert "already queued" in out
    for periodic in (purge_old_events, sweep_deliveries, prune_finished_wake_ups):
        assert DBTaskResult.objects.filter(task_path=periodic.module_path).count() == 1


def test_finished_wake_ups_are_pruned_after_a_day(schema, write_api, endpoint, receiver):
    write_api.post("/api/records/companies", {"name": "a"})
    wake_ups = DBTaskResult.objects.filter(task_path=deliver_due_webhooks.module_path)
    assert wake_ups.count() == 1
    wake_ups.update(status="SUCCESSFUL", finished_at=timezone.now() - timedelta(days=2))
    assert prune_finished_wake_ups.call() == 1
    assert not wake_ups.exists()


def test_old_request_logs_are_purged_daily(read_api, settings):
    from api.models import RequestLog
    from api.tasks import purge_old_request_logs

    settings.API_REQUEST_LOG_ENABLED = True
    read_api.get("/api/me")
    RequestLog.objects.update(created_at=timezone.now() - timedelta(days=15))
    read_api.get("/api/me")
    assert purge_old_request_logs.call() == 1
    assert RequestLog.objects.count() == 1


def test_the_sweep_sends_what_is_due_and_runs_again(schema, write_api, endpoint, receiver):
    write_api.post("/api/records/companies", {"name": "a"})
    assert sweep_deliveries.call() == 1
    assert len(receiver.received) == 1
    queued = DBTaskResult.objects.get(task_path=sweep_deliveries.module_path, status="READY")
    assert timedelta(seconds=50) < queued.run_after - timezone.now() <= timedelta(minutes=1)


def test_the_purge_command(schema, write_api, capsys):
    write_api.post("/api/records/companies", {"name": "old"})
    Event.objects.update(created_at=timezone.now() - timedelta(days=3))
    call_command("purge_events", "--days", "2")
    assert Event.objects.count() == 0
    assert "Deleted 1 rows older than 2 days." in capsys.readouterr().out
