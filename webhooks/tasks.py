"""Background work of the webhooks app (Django's Tasks framework; worker: manage.py db_worker).

The delivery rows are the truth; these tasks only wake workers to look at them, so a lost or
repeated wake-up costs nothing but a query. Wake-ups are queued inside the writing
transaction: with the database backend they commit, or vanish, with the rows they announce.
The sweep, every minute, is the safety net for any wake-up that was lost all the same."""

from datetime import datetime, timedelta

from django.tasks import task
from django.utils import timezone

SWEEP_EVERY = timedelta(minutes=1)


@task
def deliver_due_webhooks() -> int:
    from webhooks.delivery import deliver_due  # the task module stays free of import cycles

    return deliver_due()


@task
def sweep_deliveries() -> int:
    """Sends whatever is due (then runs again in a minute)."""
    from webhooks.delivery import deliver_due

    try:
        total = 0
        while claimed := deliver_due():
            total += claimed
        return total
    finally:
        sweep_deliveries.using(run_after=timezone.now() + SWEEP_EVERY).enqueue()


@task
def purge_old_events() -> int:
    """Deletes events past the retention period (then runs again in a day)."""
    from webhooks.services import purge_events

    try:
        return purge_events()
    finally:
        purge_old_events.using(run_after=timezone.now() + timedelta(days=1)).enqueue()


@task
def prune_finished_wake_ups() -> int:
    """Deletes the finished rows of the wake-up and sweep tasks (every write that has a
    webhook to send queues one) a day after they ran, then runs again in a day."""
    from django_tasks_db.models import DBTaskResult

    try:
        paths = [deliver_due_webhooks.module_path, sweep_deliveries.module_path]
        finished = DBTaskResult.objects.finished().filter(
            task_path__in=paths, finished_at__lt=timezone.now() - timedelta(days=1)
        )
        return finished._raw_delete(finished.db)
    finally:
        prune_finished_wake_ups.using(run_after=timezone.now() + timedelta(days=1)).enqueue()


def wake_workers(*, run_after: datetime | None = None) -> None:
    """Asks a worker to send what is due (at `run_after`, or now)."""
    if run_after is None:
        deliver_due_webhooks.enqueue()
    else:
        deliver_due_webhooks.using(run_after=run_after).enqueue()


def schedule_periodic_tasks() -> list[str]:
    """Starts every periodic task (the sweep, the daily purges) unless it is already queued
    or running; the names of those it started. The request log's purge belongs to the api
    app, but this is the one place that knows them all."""
    from django_tasks_db.models import DBTaskResult

    from api.tasks import purge_expired_idempotency_keys, purge_old_request_logs

    started = []
    periodic_tasks = (
        sweep_deliveries,
        purge_old_events,
        prune_finished_wake_ups,
        purge_old_request_logs,
        purge_expired_idempotency_keys,
    )
    for periodic in periodic_tasks:
        queued = DBTaskResult.objects.filter(
            task_path=periodic.module_path, status__in=["READY", "RUNNING"]
        ).exists()
        if not queued:
            periodic.enqueue()
            started.append(periodic.name)
    return started
