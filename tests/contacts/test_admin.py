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
