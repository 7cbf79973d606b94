from django.core.management.base import BaseCommand, CommandError

from accounts.services import create_organization
from api.exceptions import DomainError


class Command(BaseCommand):
    help = "Creates an organization and prints its slug (and nothing else)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help="The organization's name.")
        parser.add_argument("--slug", help="A slug to use instead of one made from the name.")

    def handle(self, *args, name: str, slug: str | None, **options) -> None:
        try:
            org = create_organization(name=name, slug=slug)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(org.slug)
