from django.core.management.base import BaseCommand

from records.indexes import create_field_indexes
from records.models import Field


class Command(BaseCommand):
    help = (
        "Builds any missing PostgreSQL indexes of custom fields (CONCURRENTLY; safe to rerun). "
        "The worker builds them for new fields; run this after restoring a database or after "
        "migrations that created fields."
    )

    def handle(self, *args, **options) -> None:
        fields = Field.objects.all()
        for field in fields.iterator():
            create_field_indexes(field)
        self.stdout.write(f"Checked the indexes of {fields.count()} fields.")
