"""The contacts system object: provisioned for every organization, named after the person,
unique by email in any case, addressable by email wherever an id goes."""

import importlib

import pytest
from django.apps import apps

from accounts.models import Organization
from records.models import Object, Record

pytestmark = pytest.mark.django_db


def contact(api, **fields):
    response = api.post("/api/records/contacts", {"fields": fields}).assert_envelope()
    assert response.status == 201, response.body
    return response.data


def test_a_new_organization_has_contacts_with_system_fields(read_api):
    response = read_api.get("/api/objects/contacts").assert_envelope()
    assert response.status == 200 and response.data["is_system"] is True
    fields = {f["api_name"]: f for f in response.data["fields"]}
    assert list(fields) == ["email", "first_name", "last_name", "phone"]
    assert fields["email"]["unique"] and fields["email"]["required"]
    assert all(f["is_system"] for f in fields.values())


def test_the_name_is_derived_from_first_and_last_name_or_the_email(write_api):
    jane = contact(write_api, email="jane@example.com", first_name="Jane", last_name="Roe")
    assert jane["name"] == "Jane Roe"
    only_email = contact(write_api, email="solo@example.com")
    assert only_email["name"] == "solo@example.com"
    renamed = write_api.request(
        "PATCH", f"/api/records/contacts/{jane['id']}", {"fields": {"first_name": "Janet"}}
    ).data
    assert renamed["name"] == "Janet Roe"
    sent = write_api.post(
        "/api/records/contacts", {"name": "X", "fields": {"email": "x@example.com"}}
    ).assert_envelope()
    assert sent.status == 400
    assert sent.body["errorDetail"] == {"name": ["Derived; cannot be set."]}


def test_email_is_required(write_api):
    response = write_api.post("/api/records/contacts", {"fields": {"first_name": "A"}})
    assert response.assert_envelope().status == 400
    assert response.body["missingInputVars"] == ["fields.email"]


def test_emails_are_unique_whatever_their_case(write_api):
    first = contact(write_api, email="Jane@Example.com")
    response = write_api.post(
        "/api/records/contacts", {"fields": {"email": "jane@example.COM"}}
    ).assert_envelope()
    assert response.status == 409
    assert response.body["errorDetail"]["existing_id"] == first["id"]
    assert Record.objects.filter(object__api_name="contacts").count() == 1


def test_every_record_route_takes_an_email_in_place_of_the_id(write_api):
    jane = contact(write_api, email="Jane@Example.com", first_name="Jane")
    for address in ("jane@example.com", "JANE@EXAMPLE.COM", "Jane@Example.com"):
        fetched = write_api.get(f"/api/records/contacts/{address}").assert_envelope()
        assert fetched.status == 200 and fetched.data["id"] == jane["id"]
    base = "/api/records/contacts/jane@EXAMPLE.com"
    updated = write_api.request("PUT", base, {"fields": {"last_name": "Roe"}}).assert_envelope()
    assert updated.data["name"] == "Jane Roe"
    assert write_api.post(f"{base}/archive").data["archived"] is True
    assert write_api.post(f"{base}/unarchive").data["archived"] is False
    deleted = write_api.request("DELETE", base).assert_envelope()
    assert deleted.data == {"id": jane["id"], "deleted": True}
    assert write_api.get(base).status == 404


@pytest.mark.parametrize("address", ["nobody@example.com", "not-an-email", "%00@x.com"])
def test_an_unknown_email_is_a_404(write_api, address):
    assert write_api.get(f"/api/records/contacts/{address}").assert_envelope().status == 404


def test_another_orgs_contact_is_a_404_by_email_and_id(write_api, other_admin_api):
    theirs = contact(other_admin_api, email="secret@example.com")
    for address in ("secret@example.com", theirs["id"]):
        assert write_api.get(f"/api/records/contacts/{address}").status == 404
        assert write_api.request("DELETE", f"/api/records/contacts/{address}").status == 404
    assert Record.objects.filter(pk=theirs["id"]).exists()


def test_system_fields_and_the_object_are_fixed_but_orgs_may_add_fields(admin_api):
    retype = admin_api.request(
        "PATCH", "/api/objects/contacts/fields/email", {"type": "text"}
    ).assert_envelope()
    assert retype.status == 409
    for change in ({"unique": False}, {"required": False}, {"api_name": "mail"}):
        assert (
            admin_api.request("PATCH", "/api/objects/contacts/fields/email", change).status == 409
        )
    relabel = admin_api.request("PATCH", "/api/objects/contacts/fields/email", {"label": "E-mail"})
    assert relabel.status == 200 and relabel.data["label"] == "E-mail"
    assert admin_api.request("DELETE", "/api/objects/contacts/fields/phone").status == 409
    assert admin_api.request("DELETE", "/api/objects/contacts").status == 409
    added = admin_api.post("/api/objects/contacts/fields", {"api_name": "tier", "type": "text"})
    assert added.status == 201 and added.data["is_system"] is False
    created = admin_api.post(
        "/api/records/contacts", {"fields": {"email": "t@example.com", "tier": "gold"}}
    )
    assert created.data["fields"]["tier"] == "gold"


def test_no_second_contacts_object_can_be_made(admin_api):
    response = admin_api.post("/api/objects", {"api_name": "contacts"}).assert_envelope()
    assert response.status == 409


def test_the_data_migration_provisions_existing_organizations(db):
    org = Organization.objects.create(name="Old", slug="old")  # signal provisions it
    Object.objects.filter(org=org, api_name="contacts").delete()
    migration = importlib.import_module("contacts.migrations.0001_provision_contacts")
    migration.provision(apps, None)
    migration.provision(apps, None)  # idempotent
    provisioned = Object.objects.get(org=org, api_name="contacts")
    assert provisioned.is_system
    assert [f.api_name for f in provisioned.fields.order_by("position")] == [
        "email",
        "first_name",
        "last_name",
        "phone",
    ]
    assert all(len(f.key) == 32 and f.is_system for f in provisioned.fields.all())


def test_the_data_migration_refuses_an_organizations_own_contacts_object(db):
    org = Organization.objects.create(name="Clash", slug="clash")
    Object.objects.filter(org=org, api_name="contacts").update(is_system=False)
    migration = importlib.import_module("contacts.migrations.0001_provision_contacts")
    with pytest.raises(RuntimeError, match="has its own object called 'contacts'"):
        migration.provision(apps, None)
