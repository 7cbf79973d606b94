from django.core.management.base import BaseCommand

from webhooks.tasks import schedule_periodic_tasks


class Command(BaseCommand):
    help = (
        "Queues the periodic tasks for the workers: the webhook delivery sweep (every minute), "
        "and daily the purge of old events, of old request-log rows and of finished wake-up "
        "tasks; each re-queues itself. Safe to run at every deploy: it starts only what is "
        "not already queued."
    )

    def handle(self, *args, **options):
        started = schedule_periodic_tasks()
        if started:
            self.stdout.write(f"Queued: {', '.join(started)}.")
        else:
            self.stdout.write("The periodic tasks are already queued.")
