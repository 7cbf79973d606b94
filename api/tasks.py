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
