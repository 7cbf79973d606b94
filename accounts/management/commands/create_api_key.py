from django.core.management.base import BaseCommand, CommandError

from accounts.selectors import organization_by_slug
from accounts.services import create_api_key
from api.exceptions import DomainError
from api.scopes import Scope


class Command(BaseCommand):
    help = "Creates an API key for an organization and prints only the raw key."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--org", required=True, help="The organization's slug.")
        parser.add_argument("--scope", required=True, choices=Scope.values)
        parser.add_argument("--name", default="", help="What the key is for.")

    def handle(self, *args, org: str, scope: str, name: str, **options) -> None:
        try:
            organization = organization_by_slug(org)
            _, raw_key = create_api_key(org=organization, scope=scope, name=name)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(raw_key)
