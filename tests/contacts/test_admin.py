import re

import pytest

from tests.conftest import staff_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(org):
    return staff_member(org, app_labels=["records", "contacts"])


def test_contacts_page_lists_and_searches_by_email_and_name(staff, write_api, other_admin_api):
    write_api.post(
        "/api/records/contacts",
        {"fields": {"email": "jane@example.com", "first_name": "Jane", "phone": "+1 555 0100"}},
    )
    write_api.post(
        "/api/records/contacts", {"fields": {"email": "bob@corp.io", "first_name": "Bob"}}
    )
    other_admin_api.post("/api/records/contacts", {"fields": {"email": "spy@example.com"}})
    page = staff.get("/admin/contacts/contact/").content.decode()
    assert "jane@example.com" in page and "+1 555 0100" in page and "Bob" in page
    assert "spy@example.com" not in page
    by_email = staff.get("/admin/contacts/contact/?q=corp.io").content.decode()
    assert "bob@corp.io" in by_email and "jane@example.com" not in by_email
    by_name = staff.get("/admin/contacts/contact/?q=Jane").content.decode()
    assert "jane@example.com" in by_name and "bob@corp.io" not in by_name
    assert "spy@" not in staff.get("/admin/contacts/contact/?q=spy").content.decode()


def test_a_contact_is_changed_through_the_typed_form(staff, write_api):
    from tests.records.test_admin import form_data

    jane = write_api.post("/api/records/contacts", {"fields": {"email": "jane@example.com"}}).data
    url = f"/admin/contacts/contact/{jane['id']}/change/"
    page = staff.get(url).content.decode()
    assert 'name="value_email"' in page
    data = form_data(page)
    data.update({"value_first_name": "Jane", "value_phone": "+1 555 0100"})
    assert staff.post(url, data).status_code == 302
    after = write_api.get("/api/records/contacts/jane@example.com").data
    assert after["name"] == "Jane" and after["fields"]["phone"] == "+1 555 0100"


def test_two_selected_contacts_are_merged_after_choosing_which_stays(staff, write_api):
    jane = write_api.post(
        "/api/records/contacts", {"fields": {"email": "jane@example.com", "first_name": "Jane"}}
    ).data
    dupe = write_api.post(
        "/api/records/contacts", {"fields": {"email": "jroe@work.example", "phone": "+1 555"}}
    ).data
    selected = {"action": "merge_selected", "_selected_action": [jane["id"], dupe["id"]]}
    page = staff.post("/admin/contacts/contact/", selected)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Merge two contacts" in html
    assert f'value="{jane["id"]}"' in html and "jroe@work.example" in html
    assert write_api.get(f"/api/records/contacts/{dupe['id']}").status == 200  # nothing yet

    done = staff.post("/admin/contacts/contact/", {**selected, "survivor": jane["id"]}, follow=True)
    assert "Merged jroe@work.example into Jane: filled phone" in done.content.decode()
    assert write_api.get(f"/api/records/contacts/{dupe['id']}").assert_envelope().status == 404
    kept = write_api.get(f"/api/records/contacts/{jane['id']}").data
    assert kept["fields"]["phone"] == "+1 555" and kept["fields"]["email"] == "jane@example.com"


def test_merge_needs_exactly_two_contacts(staff, write_api):
    jane = write_api.post("/api/records/contacts", {"fields": {"email": "jane@example.com"}}).data
    response = staff.post(
        "/admin/contacts/contact/",
        {"action": "merge_selected", "_selected_action": [jane["id"]]},
        follow=True,
    )
    assert "Select exactly two contacts of one organization to merge." in (
        response.content.decode()
    )
    assert write_api.get(f"/api/records/contacts/{jane['id']}").status == 200


def test_another_orgs_contact_cannot_be_merged_from_the_admin(staff, write_api, other_admin_api):
    jane = write_api.post("/api/records/contacts", {"fields": {"email": "jane@example.com"}}).data
    theirs = other_admin_api.post(
        "/api/records/contacts", {"fields": {"email": "them@example.com"}}
    ).data
    response = staff.post(
        "/admin/contacts/contact/",
        {
            "action": "merge_selected",
            "_selected_action": [jane["id"], theirs["id"]],
            "survivor": jane["id"],
        },
        follow=True,
    )
    assert "Select exactly two contacts" in response.content.decode()
    assert other_admin_api.get(f"/api/records/contacts/{theirs['id']}").status == 200


def test_a_superuser_sees_each_contacts_organization(db, write_api, other_admin_api):
    from django.contrib.auth.models import User

    from tests.conftest import STAFF_PASSWORD, admin_login

    write_api.post("/api/records/contacts", {"fields": {"email": "jane@example.com"}})
    other_admin_api.post("/api/records/contacts", {"fields": {"email": "spy@example.com"}})
    User.objects.create_superuser("root", password=STAFF_PASSWORD)
    root = admin_login("root")
    page = root.get("/admin/contacts/contact/").content.decode()
    rows = re.findall(r"<tr>.*?</tr>", page, re.S)
    assert any("jane@example.com" in row and "Acme Inc" in row for row in rows)
    assert any("spy@example.com" in row and "Globex" in row for row in rows)
    found = root.get("/admin/contacts/contact/?q=spy@").content.decode()
    assert "spy@example.com" in found and "jane@example.com" not in found
