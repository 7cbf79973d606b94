from django.core.management.base import BaseCommand, CommandError

from accounts.selectors import organization_by_slug
from accounts.staff import STAFF_GROUP, make_staff
from api.exceptions import DomainError


class Command(BaseCommand):
    help = (
        "Makes a user a staff member of an organization: the staff flag, the membership and "
        f'the group "{STAFF_GROUP}", whose permissions open the organization\'s pages in the '
        "admin. Creates the user when missing (set a password with changepassword). "
        "Repeat with another --org for more organizations."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username", help="The user's login name.")
        parser.add_argument("--org", required=True, help="The organization's slug.")
        parser.add_argument("--email", default="", help="The email of a user created now.")

    def handle(self, *args, username: str, org: str, email: str, **options) -> None:
        try:
            organization = organization_by_slug(org)
            outcome = make_staff(username=username, org=organization, email=email)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        user = outcome.user
        if outcome.user_created:
            self.stdout.write(f"Created the user {username}.")
        self.stdout.write(
            f'{username} is staff of {organization.name} ({organization.slug}), in the group "'
            f'{STAFF_GROUP}".'
        )
        if user.is_superuser:
            self.stdout.write(f"{username} is a superuser and still sees every organization.")
        if not user.is_active:
            self.stdout.write(f"{username} is inactive: they cannot log in until activated.")
        if not user.has_usable_password():
            self.stdout.write(
                f"{username} has no password yet: python manage.py changepassword {username}"
            )
