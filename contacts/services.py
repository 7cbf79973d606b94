"""Writes of contacts: provisioning the system object for an organization."""

from accounts.models import Organization
from api.tenancy import for_org
from contacts.policy import CONTACTS
from records import services
from records.models import Object

CONTACT_FIELDS = [
    {"api_name": "email", "label": "Email", "type": "email", "unique": True, "required": True},
    {"api_name": "first_name", "label": "First name", "type": "text"},
    {"api_name": "last_name", "label": "Last name", "type": "text"},
    {"api_name": "phone", "label": "Phone", "type": "phone"},
]


def provision_contacts(*, org: Organization) -> Object:
    """The organization's contacts object, created with its system fields if missing."""
    existing = for_org(Object, org_id=org.id).filter(api_name=CONTACTS).first()
    if existing is not None:
        return existing
    return services.create_object(
        org=org,
        api_name=CONTACTS,
        singular_name="Contact",
        plural_name="Contacts",
        description="People, identified by email.",
        fields=CONTACT_FIELDS,
        is_system=True,
    )
