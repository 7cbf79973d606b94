from django.core.management.base import BaseCommand

from webhooks.tasks import schedule_periodic_tasks


class Command(BaseCommand):
    help = (
        "Queues the webhooks' periodic tasks for the workers: the delivery sweep (every "
        "minute) and the purge of old events (daily); each re-queues itself. Safe to run at "
        "every deploy: it starts only what is not already queued."
    )

    def handle(self, *args, **options):
        started = schedule_periodic_tasks()
        if started:
            self.stdout.write(f"Queued: {', '.join(started)}.")
        else:
            self.stdout.write("The webhooks' periodic tasks are already queued.")
