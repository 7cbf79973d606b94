"""Background work of the webhooks app (Django's Tasks framework; worker: manage.py db_worker).

The delivery rows are the truth; these tasks only wake workers to look at them, so a lost or
repeated wake-up costs nothing but a query. Wake-ups are queued inside the writing
transaction: with the database backend they commit, or vanish, with the rows they announce.
The sweep, every minute, is the safety net for any wake-up that was lost all the same.

Each periodic task queues its next run when it ends; a worker killed while running one never
gets there, and leaves the task's row RUNNING. So the sweep (every minute), a wake-up (at
most once a minute per process) and `schedule_periodic_tasks` take a row RUNNING for longer
than TASK_STALE_AFTER_SECONDS for a dead one, mark it failed and start its task again."""

import threading
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.tasks import task
from django.utils import timezone

from api.tasks import again as _again
from webhooks.delivery import deliver_due
from webhooks.services import purge_events

SWEEP_EVERY = timedelta(minutes=1)
# What a reclaimed row says about itself, for whoever reads it in the admin.
WORKER_LOST = "webhooks.tasks.WorkerLost"


@task
def deliver_due_webhooks() -> int:
    _heal_now_and_then()
    return deliver_due()


@task
def sweep_deliveries() -> int:
    """Sends whatever is due (then runs again in a minute), and restarts any periodic task
    whose worker died."""
    started = time.monotonic()
    try:
        heal_periodic_tasks()
        total = 0
        while claimed := deliver_due():
            total += claimed
            # A backlog is the wake-ups' work: a sweep that ran for ever would look dead.
            if time.monotonic() - started > SWEEP_EVERY.total_seconds():
                wake_workers()
                break
        return total
    finally:
        _again(sweep_deliveries, SWEEP_EVERY)


@task
def purge_old_events() -> int:
    """Deletes events past the retention period (then runs again in a day)."""
    try:
        return purge_events()
    finally:
        _again(purge_old_events, timedelta(days=1))


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
        _again(prune_finished_wake_ups, timedelta(days=1))


def wake_workers(*, run_after: datetime | None = None) -> None:
    """Asks a worker to send what is due (at `run_after`, or now). Registered with
    webhooks.wake_ups, through which the modules below this one call it."""
    if run_after is None:
        deliver_due_webhooks.enqueue()
    else:
        deliver_due_webhooks.using(run_after=run_after).enqueue()


def periodic_tasks() -> tuple:
    """Every periodic task. The request log's and idempotency keys' purges belong to the api
    app, but this is the one place that knows them all."""
    from api.tasks import purge_expired_idempotency_keys, purge_old_request_logs

    return (
        sweep_deliveries,
        purge_old_events,
        prune_finished_wake_ups,
        purge_old_request_logs,
        purge_expired_idempotency_keys,
    )


def schedule_periodic_tasks() -> list[str]:
    """Starts every periodic task unless it is already queued or running; the names of those
    it started. A task whose row has been RUNNING past TASK_STALE_AFTER_SECONDS lost its
    worker (see `reclaim_stale_tasks`) and is started again."""
    reclaim_stale_tasks()
    return [periodic.name for periodic in periodic_tasks() if _start_unless_queued(periodic)]


def heal_periodic_tasks() -> list[str]:
    """Starts again the periodic tasks whose worker died (and only those: a development
    setup that never scheduled them stays without); the names of those started."""
    reclaimed = reclaim_stale_tasks()
    return [
        periodic.name
        for periodic in periodic_tasks()
        if periodic.module_path in reclaimed and _start_unless_queued(periodic)
    ]


def reclaim_stale_tasks() -> set[str]:
    """Marks failed the rows of this project's tasks that have been RUNNING longer than
    TASK_STALE_AFTER_SECONDS: their worker died (a worker that stops gracefully finishes its
    task first), and a periodic one would otherwise never run again, its next run being
    queued only when it ends. The task paths of the rows reclaimed. A task that was only
    slow and ends after all writes its own result over this one, harmlessly."""
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    paths = [periodic.module_path for periodic in (*periodic_tasks(), deliver_due_webhooks)]
    cutoff = now - timedelta(seconds=settings.TASK_STALE_AFTER_SECONDS)
    stale = DBTaskResult.objects.filter(
        status="RUNNING", task_path__in=paths, started_at__lt=cutoff
    )
    reclaimed = set()
    for row_id, task_path in stale.values_list("id", "task_path"):
        # Row by row, still RUNNING: a worker that finishes it meanwhile keeps its result.
        taken = DBTaskResult.objects.filter(pk=row_id, status="RUNNING").update(
            status="FAILED",
            finished_at=now,
            exception_class_path=WORKER_LOST,
            traceback=(
                f"Still running after {settings.TASK_STALE_AFTER_SECONDS:g} seconds: its "
                "worker is taken to have died, and a periodic task was started again."
            ),
        )
        if taken:
            reclaimed.add(task_path)
    return reclaimed


def _start_unless_queued(periodic) -> bool:
    from django_tasks_db.models import DBTaskResult

    queued = DBTaskResult.objects.filter(
        task_path=periodic.module_path, status__in=["READY", "RUNNING"]
    ).exists()
    if not queued:
        periodic.enqueue()
    return not queued


# When this process last looked for dead periodic tasks from a wake-up (monotonic seconds).
_healed = {"at": None}
_healed_lock = threading.Lock()


def _heal_now_and_then() -> None:
    """From a wake-up: restarts the periodic tasks whose worker died, at most once a sweep
    interval per process. The sweep heals the others, but who heals a dead sweep? Whatever
    runs next: a wake-up (writes queue them, and so do claims), or the hourly purge."""
    now = time.monotonic()
    with _healed_lock:
        last = _healed["at"]
        if last is not None and now - last < SWEEP_EVERY.total_seconds():
            return
        _healed["at"] = now
    heal_periodic_tasks()
