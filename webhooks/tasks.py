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


def wake_workers(*, run_after: datetime | None = None) -> None:
    """Asks a worker to send what is due (at `run_after`, or now)."""
    if run_after is None:
        deliver_due_webhooks.enqueue()
    else:
        deliver_due_webhooks.using(run_after=run_after).enqueue()


def schedule_periodic_tasks() -> list[str]:
    """Starts the sweep and the daily purge unless they are already queued or running; the
    names of those it started."""
    from django_tasks_db.models import DBTaskResult

    started = []
    for periodic in (sweep_deliveries, purge_old_events):
        queued = DBTaskResult.objects.filter(
            task_path=periodic.module_path, status__in=["READY", "RUNNING"]
        ).exists()
        if not queued:
            periodic.enqueue()
            started.append(periodic.name)
    return started
