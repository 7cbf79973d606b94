"""Background work heals itself: a periodic task whose worker died (its row left RUNNING,
as `kill -9` leaves it) runs again, started by the sweep, a wake-up or
`schedule_periodic_tasks`, instead of never again."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from api.tasks import purge_expired_idempotency_keys
from webhooks import tasks
from webhooks.tasks import (
    deliver_due_webhooks,
    purge_old_events,
    reclaim_stale_tasks,
    sweep_deliveries,
)

pytestmark = pytest.mark.django_db


def died_running(periodic, *, minutes_ago: float) -> DBTaskResult:
    """The row of `periodic` as a worker killed while running it leaves it."""
    row = DBTaskResult.objects.get(task_path=periodic.module_path, status="READY")
    row.claim("dead-worker")
    DBTaskResult.objects.filter(pk=row.pk).update(
        started_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    return row


def rows(periodic, status: str) -> int:
    return DBTaskResult.objects.filter(task_path=periodic.module_path, status=status).count()


def test_schedule_periodic_tasks_restarts_a_task_whose_worker_died(capsys):
    call_command("schedule_periodic_tasks")
    dead = died_running(sweep_deliveries, minutes_ago=6)
    capsys.readouterr()
    call_command("schedule_periodic_tasks")
    assert capsys.readouterr().out.strip() == "Queued: sweep_deliveries."
    dead.refresh_from_db()
    assert dead.status == "FAILED" and dead.finished_at is not None
    assert dead.exception_class_path == tasks.WORKER_LOST
    assert rows(sweep_deliveries, "READY") == 1


def test_a_task_running_for_less_than_the_setting_is_left_alone(capsys, settings):
    settings.TASK_STALE_AFTER_SECONDS = 300
    call_command("schedule_periodic_tasks")
    died_running(sweep_deliveries, minutes_ago=4)
    capsys.readouterr()
    call_command("schedule_periodic_tasks")
    assert "already queued" in capsys.readouterr().out
    assert rows(sweep_deliveries, "RUNNING") == 1 and rows(sweep_deliveries, "READY") == 0
    settings.TASK_STALE_AFTER_SECONDS = 120
    assert reclaim_stale_tasks() == {sweep_deliveries.module_path}


def test_the_sweep_restarts_a_dead_purge_and_runs_again_once():
    call_command("schedule_periodic_tasks")
    died_running(purge_old_events, minutes_ago=60)
    died_running(purge_expired_idempotency_keys, minutes_ago=60)
    died_running(sweep_deliveries, minutes_ago=1)  # this very run: claimed a minute ago
    sweep_deliveries.call()
    assert rows(purge_old_events, "READY") == 1 and rows(purge_old_events, "FAILED") == 1
    assert rows(purge_expired_idempotency_keys, "READY") == 1
    assert rows(sweep_deliveries, "READY") == 1


def test_a_wake_up_restarts_a_dead_sweep_at_most_once_a_minute(monkeypatch):
    call_command("schedule_periodic_tasks")
    monkeypatch.setitem(tasks._healed, "at", None)
    died_running(sweep_deliveries, minutes_ago=10)
    deliver_due_webhooks.call()
    assert rows(sweep_deliveries, "READY") == 1 and rows(sweep_deliveries, "FAILED") == 1
    # Another death within the minute waits for the next look (or the next deploy's command).
    died_running(sweep_deliveries, minutes_ago=10)
    deliver_due_webhooks.call()
    assert rows(sweep_deliveries, "RUNNING") == 1


def test_a_reclaimed_run_that_ends_after_all_does_not_double_the_task():
    call_command("schedule_periodic_tasks")
    died_running(purge_old_events, minutes_ago=60)
    call_command("schedule_periodic_tasks")  # the replacement is queued
    purge_old_events.call()  # ...and the slow run ends after all
    assert rows(purge_old_events, "READY") == 1


def test_the_sweep_does_not_start_tasks_never_scheduled():
    sweep_deliveries.call()
    assert rows(purge_old_events, "READY") == 0
