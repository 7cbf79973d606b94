from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"

    def ready(self) -> None:
        from records.signals import records_changed
        from webhooks import tasks, wake_ups
        from webhooks.services import record_events

        records_changed.connect(record_events, dispatch_uid="webhooks.record_events")
        wake_ups.register(tasks.wake_workers)
