from django.core.management.base import BaseCommand

from webhooks.tasks import schedule_purges


class Command(BaseCommand):
    help = (
        "Queues the daily purge of old webhook events for the workers (it then re-queues "
        "itself every day). Safe to run at every deploy: it does nothing when one is queued."
    )

    def handle(self, *args, **options):
        if schedule_purges():
            self.stdout.write("Queued the daily purge of old webhook events.")
        else:
            self.stdout.write("The daily purge of old webhook events is already queued.")
