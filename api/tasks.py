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
        purge_old_request_logs.using(run_after=timezone.now() + timedelta(days=1)).enqueue()


@task
def purge_expired_idempotency_keys() -> int:
    """Deletes Idempotency-Key reservations past their retention (then runs again in an hour;
    expired ones are ignored meanwhile)."""
    from api.idempotency import purge_expired

    try:
        return purge_expired()
    finally:
        purge_expired_idempotency_keys.using(
            run_after=timezone.now() + timedelta(hours=1)
        ).enqueue()
