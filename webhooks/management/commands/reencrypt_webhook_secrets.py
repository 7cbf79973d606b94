from django.core.management.base import BaseCommand

from webhooks.services import reencrypt_secrets


class Command(BaseCommand):
    help = (
        "Encrypts every webhook endpoint's secrets again with the first key of "
        "WEBHOOK_SECRET_KEYS. Run it after putting a new key in front, before removing the old "
        "one (docs/operations.md). Safe to repeat."
    )

    def handle(self, *args, **options):
        count = reencrypt_secrets()
        self.stdout.write(f"Re-encrypted the secrets of {count} endpoints.")
