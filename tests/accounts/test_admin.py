"""The admin: staff see only their organizations, their keys and their request log; a key made
in the admin shows its raw value once."""

import io
import re

import pytest
from django.contrib.auth.models import User

from accounts.models import ApiKey
from tests.conftest import STAFF_PASSWORD, ApiClient, admin_login, staff_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(org):
    return staff_member(org, app_labels=["accounts", "api"])


@pytest.fixture
def superuser(db):
    User.objects.create_superuser("root", password=STAFF_PASSWORD)
    return admin_login("root")


def test_admin_is_titled_with_the_product_name(superuser):
    page = superuser.get("/admin/").content.decode()
    assert "<title>Recordbase: organizations, keys and records | Recordbase</title>" in page
    assert "Recordbase admin" in page


def test_staff_sees_only_their_organizations(staff, org, other_org):
    page = staff.get("/admin/accounts/organization/").content.decode()
    assert org.name in page and other_org.name not in page
    assert staff.get(f"/admin/accounts/organization/{other_org.pk}/change/").status_code == 302


def test_superuser_sees_all_organizations(superuser, org, other_org):
    page = superuser.get("/admin/accounts/organization/").content.decode()
    assert org.name in page and other_org.name in page


def test_staff_sees_only_their_keys(staff, org, other_org, make_key):
    mine, _ = make_key(org, "read", name="mine")
    theirs, _ = make_key(other_org, "read", name="theirs")
    page = staff.get("/admin/accounts/apikey/").content.decode()
    assert mine.prefix in page and theirs.prefix not in page
    assert staff.get(f"/admin/accounts/apikey/{theirs.pk}/change/").status_code == 302


def test_creating_a_key_shows_the_raw_key_once(staff, org, other_org):
    form = staff.get("/admin/accounts/apikey/add/").content.decode()
    assert other_org.name not in form  # cannot create keys for another organization
    response = staff.post(
        "/admin/accounts/apikey/add/",
        {"org": org.pk, "name": "from admin", "scope": "write"},
        follow=True,
    )
    page = response.content.decode()
    raw_key = re.search(r"The new API key is (rb_[0-9a-f]+_[0-9a-f]+)", page).group(1)
    stored = ApiKey.objects.get(name="from admin")
    assert stored.org == org and stored.scope == "write"
    assert stored.hashed_key != raw_key and raw_key.startswith(stored.prefix)
    assert ApiClient(raw_key).get("/api/me").status == 200
    assert raw_key not in staff.get("/admin/accounts/apikey/").content.decode()
    assert raw_key not in staff.get(f"/admin/accounts/apikey/{stored.pk}/change/").content.decode()


def test_staff_cannot_create_a_key_for_another_org(staff, other_org):
    response = staff.post(
        "/admin/accounts/apikey/add/", {"org": other_org.pk, "name": "sneaky", "scope": "admin"}
    )
    assert response.status_code == 200  # the form comes back with an error
    assert not ApiKey.objects.filter(name="sneaky").exists()


def test_revoke_action(staff, org, make_key):
    api_key, raw = make_key(org, "read")
    staff.post(
        "/admin/accounts/apikey/",
        {"action": "revoke_selected", "_selected_action": [str(api_key.pk)]},
    )
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    assert ApiClient(raw).get("/api/me").status == 401


def test_request_log_shows_only_own_orgs(staff, read_api, other_admin_api):
    mine = read_api.get("/api/me").body["guid"]
    theirs = other_admin_api.get("/api/me").body["guid"]
    page = staff.get("/admin/api/requestlog/").content.decode()
    assert f"/admin/api/requestlog/{mine}/" in page
    assert f"/admin/api/requestlog/{theirs}/" not in page


def test_request_log_shows_durations_in_rounded_milliseconds(staff, read_api):
    from api.models import RequestLog

    guid = read_api.get("/api/me").body["guid"]
    RequestLog.objects.filter(guid=guid).update(duration_ms=8.43521799993141)
    listing = staff.get("/admin/api/requestlog/").content.decode()
    assert "8.4 ms" in listing and "8.435" not in listing
    entry = staff.get(f"/admin/api/requestlog/{guid}/change/").content.decode()
    assert "8.4 ms" in entry and "8.435" not in entry
    RequestLog.objects.filter(guid=guid).update(duration_ms=1234.56)
    assert "1,234.6 ms" in staff.get("/admin/api/requestlog/").content.decode()


def test_a_staff_member_made_by_the_command_works_in_the_admin(
    org, other_org, make_key, read_api, other_admin_api
):
    from django.core.management import call_command

    call_command("make_staff", "alice", "--org", org.slug, stdout=io.StringIO())
    alice = User.objects.get(username="alice")
    alice.set_password(STAFF_PASSWORD)
    alice.save()
    browser = admin_login("alice")
    home = browser.get("/admin/").content.decode()
    assert "have permission to view or edit anything" not in home
    for app in ("Records", "Contacts", "Webhooks", "API keys", "Request logs"):
        assert app in home, app
    pages = [
        "/admin/records/object/",
        "/admin/records/object/add/",
        "/admin/records/field/",
        "/admin/records/field/add/",
        "/admin/records/record/",
        "/admin/records/record/add/",
        "/admin/contacts/contact/",
        "/admin/webhooks/endpoint/",
        "/admin/webhooks/delivery/",
        "/admin/webhooks/event/",
        "/admin/accounts/organization/",
        "/admin/accounts/apikey/",
        "/admin/accounts/apikey/add/",
        "/admin/api/requestlog/",
    ]
    for page in pages:
        assert browser.get(page).status_code == 200, page
    # Their organization's data only.
    theirs, _ = make_key(other_org, "read", name="theirs")
    keys = browser.get("/admin/accounts/apikey/").content.decode()
    assert theirs.prefix not in keys
    orgs = browser.get("/admin/accounts/organization/").content.decode()
    assert org.name in orgs and other_org.name not in orgs
    # Not what only a superuser does.
    assert browser.get("/admin/auth/user/").status_code == 403
    assert browser.get("/admin/accounts/organization/add/").status_code == 403
