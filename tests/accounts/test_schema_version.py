"""An organization's schema version: moved once, in the change's own transaction, by every
change to its objects or fields, whichever way it is made, and by nothing else."""

import pytest
from django.db.models import F

from accounts.models import Organization
from accounts.services import create_organization
from records.models import Object
from tests.conftest import staff_member

pytestmark = pytest.mark.django_db


def version(org: Organization) -> int:
    return Organization.objects.values_list("schema_version", flat=True).get(pk=org.pk)


def test_every_schema_change_moves_the_version_once(admin_api, write_api, org):
    assert version(org) == 1  # contacts, provisioned with the organization
    changes = [
        ("POST", "/api/objects", {"api_name": "deals"}),
        ("PATCH", "/api/objects/deals", {"plural_name": "Big deals"}),
        ("POST", "/api/objects/deals/fields", {"api_name": "amount", "type": "number"}),
        ("PATCH", "/api/objects/deals/fields/amount", {"label": "Value"}),
        ("DELETE", "/api/objects/deals/fields/amount", None),
        ("DELETE", "/api/objects/deals", None),
    ]
    for step, (method, path, body) in enumerate(changes, start=2):
        response = admin_api.request(method, path, body).assert_envelope()
        assert response.status < 300, (method, path, response.body)
        assert version(org) == step, (method, path)
    assert write_api.post("/api/records/contacts", {"fields": {"email": "a@example.com"}})
    assert version(org) == 7  # records are not the schema
    assert version(create_organization(name="Newco")) == 1


def test_a_refused_schema_change_keeps_the_version(admin_api, write_api, org):
    admin_api.post("/api/objects", {"api_name": "deals"})
    write_api.post("/api/records/deals", {"name": "d"})
    before = version(org)
    refused = admin_api.post(
        "/api/objects/deals/fields", {"api_name": "amount", "type": "number", "required": True}
    ).assert_envelope()
    assert refused.status == 409  # a record has no value for it: rolled back, version too
    assert version(org) == before


def test_changes_in_the_admin_move_the_version(org):
    staff = staff_member(org, app_labels=["records"])
    contacts = Object.objects.get(org=org, api_name="contacts")
    before = version(org)
    added = staff.post(
        "/admin/records/field/add/",
        {
            "object": str(contacts.pk),
            "api_name": "tier",
            "label": "Tier",
            "type": "text",
            "description": "",
            "options": "{}",
        },
    )
    assert added.status_code == 302, added.content.decode()[:2000]
    assert version(org) == before + 1
    changed = staff.post(
        f"/admin/records/object/{contacts.pk}/change/",
        {
            "singular_name": "Person",
            "plural_name": "People",
            "description": "",
            "fields-TOTAL_FORMS": "0",
            "fields-INITIAL_FORMS": "0",
        },
    )
    assert changed.status_code == 302, changed.content.decode()[:2000]
    assert version(org) == before + 2


def test_saving_an_organization_never_takes_its_version_back(org):
    loaded = Organization.objects.get(pk=org.pk)
    Organization.objects.filter(pk=org.pk).update(schema_version=F("schema_version") + 5)
    loaded.name = "Acme Renamed"
    loaded.save()
    assert version(org) == loaded.schema_version + 5
    assert Organization.objects.get(pk=org.pk).name == "Acme Renamed"
