"""`make run`'s first-run setup: a demo organization with objects and records, a superuser and
an admin-scope key. (In records, the app that sits on top of accounts and owns the demo data.)

The credentials are kept in var/ (development only) so that later runs can print them again;
the database itself still stores only the key's hash.
"""

import json
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organization
from accounts.selectors import api_key_for_raw
from accounts.services import add_member, create_api_key, create_organization
from api.scopes import Scope
from records.demo import seed_demo_records

DEMO_SLUG = "demo"


ADMIN_USERNAME = "admin"


class Command(BaseCommand):
    help = "Creates the demo organization, superuser and API key on first run; prints them."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")

    def handle(self, *args, host: str, port: str, **options) -> None:
        if settings.PRODUCTION:
            raise CommandError(
                "bootstrap_demo is for development; it refuses to run in production."
            )
        path = settings.VAR_DIR / "demo-credentials.json"
        saved = json.loads(path.read_text()) if path.exists() else {}

        org = Organization.objects.filter(slug=DEMO_SLUG).first()
        if org is None:
            org = create_organization(name="Demo", slug=DEMO_SLUG)

        user_model = get_user_model()
        user = user_model.objects.filter(username=ADMIN_USERNAME).first()
        if user is None:
            saved["password"] = secrets.token_urlsafe(12)
            user = user_model.objects.create_superuser(
                username=ADMIN_USERNAME, email="admin@example.com", password=saved["password"]
            )
        add_member(org=org, user=user)

        seed_demo_records(org=org)

        key = api_key_for_raw(saved.get("api_key", ""))
        if key is None or key.is_revoked or key.org_id != org.id:
            _, saved["api_key"] = create_api_key(org=org, scope=Scope.ADMIN, name="demo (make run)")
        path.write_text(json.dumps(saved))
        path.chmod(0o600)

        base = f"http://{host}:{port}"
        password = saved.get("password", "(set before this file existed; use changepassword)")
        self.stdout.write(
            "\n".join(
                [
                    "",
                    f"  Admin:    {base}/admin/  user '{ADMIN_USERNAME}', password '{password}'",
                    f"  API docs: {base}/api/docs",
                    f"  API key:  {saved['api_key']}  (organization '{org.slug}', scope admin)",
                    f"  Records:  {base}/api/records/companies and /api/records/deals "
                    "(same header)",
                    "  Try it:",
                    f"    curl -H 'Authorization: Bearer {saved['api_key']}' {base}/api/me",
                    "",
                ]
            )
        )
