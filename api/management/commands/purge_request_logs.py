from django.conf import settings
from django.core.management.base import BaseCommand

from api.services import purge_request_logs


class Command(BaseCommand):
    help = "Deletes request-log entries older than the retention period (default 14 days)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=settings.API_REQUEST_LOG_RETENTION_DAYS,
            help="Keep this many days.",
        )

    def handle(self, *args, days: int, **options) -> None:
        deleted = purge_request_logs(older_than_days=days)
        self.stdout.write(f"Deleted {deleted} request-log entries older than {days} days.")
