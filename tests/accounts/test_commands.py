"""`create_org NAME` prints the slug; `create_api_key --org SLUG --scope S` prints only the key."""

import io

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Organization
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_org_prints_the_new_slug():
    assert run("create_org", "Acme Widgets") == "acme-widgets\n"
    assert Organization.objects.get(slug="acme-widgets").name == "Acme Widgets"


def test_create_org_makes_slugs_unique():
    assert run("create_org", "Acme") == "acme\n"
    assert run("create_org", "Acme") == "acme-2\n"


def test_create_org_refuses_an_empty_name():
    with pytest.raises(CommandError, match=r"An organization needs a name\."):
        run("create_org", "   ")


def test_create_api_key_prints_only_a_working_raw_key():
    slug = run("create_org", "Acme").strip()
    output = run("create_api_key", "--org", slug, "--scope", "write")
    assert output.count("\n") == 1
    raw_key = output.strip()
    me = ApiClient(raw_key).get("/api/me").assert_envelope()
    assert me.status == 200
    assert me.data["organization"]["slug"] == slug
    assert me.data["api_key"]["scope"] == "write"


def test_create_api_key_for_an_unknown_org_fails_clearly():
    with pytest.raises(CommandError, match=r"No organization with slug 'nope'\."):
        run("create_api_key", "--org", "nope", "--scope", "read")


def test_create_api_key_refuses_an_unknown_scope():
    run("create_org", "Acme")
    with pytest.raises(CommandError, match="invalid choice: 'root'"):
        run("create_api_key", "--org", "acme", "--scope", "root")
