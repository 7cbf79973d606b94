"""Background work of the webhooks app (Django's Tasks framework; worker: manage.py db_worker).

The delivery rows are the truth; these tasks only wake workers to look at them, so a lost or
repeated wake-up costs nothing but a query."""

from datetime import datetime, timedelta

from django.tasks import task
from django.utils import timezone


@task
def deliver_due_webhooks() -> int:
    from webhooks.delivery import deliver_due  # the task module stays free of import cycles

    return deliver_due()


@task
def purge_old_events() -> int:
    """Deletes events past the retention period, then runs again in a day."""
    from webhooks.services import purge_events

    deleted = purge_events()
    purge_old_events.using(run_after=timezone.now() + timedelta(days=1)).enqueue()
    return deleted


def wake_workers(*, run_after: datetime | None = None) -> None:
    """Asks a worker to send what is due (at `run_after`, or now)."""
    if run_after is None:
        deliver_due_webhooks.enqueue()
    else:
        deliver_due_webhooks.using(run_after=run_after).enqueue()


def schedule_purges() -> bool:
    """Starts the daily purge unless one is already queued; True when it started one."""
    from django_tasks_db.models import DBTaskResult

    queued = DBTaskResult.objects.filter(
        task_path=purge_old_events.module_path, status="READY"
    ).exists()
    if not queued:
        purge_old_events.enqueue()
    return not queued
