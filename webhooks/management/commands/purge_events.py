from django.conf import settings
from django.core.management.base import BaseCommand

from webhooks.services import purge_events


class Command(BaseCommand):
    help = (
        "Deletes webhook events (with their deliveries and attempts) older than "
        "WEBHOOK_EVENT_RETENTION_DAYS. `make run` schedules it daily (schedule_periodic_tasks)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=settings.WEBHOOK_EVENT_RETENTION_DAYS)

    def handle(self, *args, days: int, **options):
        deleted = purge_events(older_than_days=days)
        self.stdout.write(f"Deleted {deleted} rows older than {days} days.")
