"""Background work of the api app (Django's Tasks framework; worker: manage.py db_worker)."""

from datetime import timedelta

from django.tasks import task
from django.utils import timezone


@task
def purge_old_request_logs() -> int:
    """Deletes request-log rows past the retention period (then runs again in a day)."""
    from api.services import purge_request_logs

    try:
        return purge_request_logs()
    finally:
        again(purge_old_request_logs, timedelta(days=1))


@task
def purge_expired_idempotency_keys() -> int:
    """Deletes Idempotency-Key reservations past their retention (then runs again in an hour;
    expired ones are ignored meanwhile)."""
    from api.idempotency import purge_expired

    try:
        return purge_expired()
    finally:
        again(purge_expired_idempotency_keys, timedelta(hours=1))


def again(periodic, after: timedelta) -> None:
    """Queues a periodic task's next run, unless one is queued already. A run taken for dead
    (webhooks.tasks.reclaim_stale_tasks) is started again at once; should the first one
    finish after all, it must not start a second chain of runs of the same task."""
    from django_tasks_db.models import DBTaskResult

    if not DBTaskResult.objects.filter(task_path=periodic.module_path, status="READY").exists():
        periodic.using(run_after=timezone.now() + after).enqueue()
