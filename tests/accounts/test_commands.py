"""`create_org NAME` prints the slug; `create_api_key --org SLUG --scope S` prints only the key;
`make_staff USER --org SLUG` makes a staff member of the organization."""

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


def test_make_staff_creates_the_user_and_gives_the_organization_and_the_staff_group():
    from django.contrib.auth.models import User

    from accounts.staff import STAFF_GROUP

    slug = run("create_org", "Acme").strip()
    output = run("make_staff", "alice", "--org", slug, "--email", "alice@example.com")
    assert output.splitlines() == [
        "Created the user alice.",
        f'alice is staff of Acme ({slug}), in the group "{STAFF_GROUP}".',
        "alice has no password yet: python manage.py changepassword alice",
    ]
    alice = User.objects.get(username="alice")
    assert alice.is_staff and not alice.is_superuser and alice.email == "alice@example.com"
    assert not alice.has_usable_password()
    assert list(alice.memberships.values_list("org__slug", flat=True)) == [slug]
    assert list(alice.groups.values_list("name", flat=True)) == [STAFF_GROUP]
    for permission in (
        "records.add_record",
        "records.change_field",
        "records.delete_object",
        "contacts.change_contact",
        "webhooks.change_endpoint",
        "webhooks.view_delivery",
        "webhooks.view_attempt",
        "accounts.add_apikey",
        "accounts.view_organization",
        "api.view_requestlog",
    ):
        assert alice.has_perm(permission), permission
    for permission in (
        "accounts.add_organization",
        "accounts.change_organization",
        "accounts.delete_apikey",
        "accounts.add_membership",
        "auth.change_user",
    ):
        assert not alice.has_perm(permission), permission


def test_make_staff_adds_an_existing_user_to_another_org_and_keeps_a_superuser():
    from django.contrib.auth.models import User

    from accounts.staff import STAFF_GROUP

    first = run("create_org", "Acme").strip()
    second = run("create_org", "Globex").strip()
    User.objects.create_superuser("root", password="s3cret-enough")
    run("make_staff", "root", "--org", first)
    output = run("make_staff", "root", "--org", second)
    assert "Created" not in output and "no password" not in output
    assert "root is a superuser and still sees every organization." in output
    root = User.objects.get(username="root")
    assert root.is_superuser and root.is_staff and root.check_password("s3cret-enough")
    assert sorted(root.memberships.values_list("org__slug", flat=True)) == [first, second]
    assert list(root.groups.values_list("name", flat=True)) == [STAFF_GROUP]


def test_make_staff_keeps_permissions_added_to_the_group_by_hand():
    from django.contrib.auth.models import Group, Permission

    from accounts.staff import STAFF_GROUP

    slug = run("create_org", "Acme").strip()
    run("make_staff", "alice", "--org", slug)
    group = Group.objects.get(name=STAFF_GROUP)
    extra = Permission.objects.get(codename="change_organization")
    group.permissions.add(extra)
    run("make_staff", "bob", "--org", slug)
    assert extra in Group.objects.get(name=STAFF_GROUP).permissions.all()


def test_make_staff_for_an_unknown_org_fails_clearly():
    from django.contrib.auth.models import User

    with pytest.raises(CommandError, match=r"No organization with slug 'nope'\."):
        run("make_staff", "alice", "--org", "nope")
    assert not User.objects.filter(username="alice").exists()
