"""Every organization that exists before contacts gets its contacts object (new organizations
get it from the post_save signal in contacts.apps). Mirrors contacts.services.CONTACT_FIELDS
with the historical models, as a data migration must."""

import uuid

from django.db import migrations

FIELDS = [
    ("email", "Email", "email", True, True),
    ("first_name", "First name", "text", False, False),
    ("last_name", "Last name", "text", False, False),
    ("phone", "Phone", "phone", False, False),
]


def provision(apps, schema_editor):
    Organization = apps.get_model("accounts", "Organization")
    Object = apps.get_model("records", "Object")
    Field = apps.get_model("records", "Field")
    clash = Object.objects.filter(api_name="contacts", is_system=False).first()
    if clash is not None:
        raise RuntimeError(
            f"Organization {clash.org_id} has its own object called 'contacts'; rename or remove "
            "it before this migration provisions the system contacts object."
        )
    for org in Organization.objects.exclude(
        id__in=Object.objects.filter(api_name="contacts").values("org_id")
    ):
        obj = Object.objects.create(
            id=uuid.uuid4(), org=org, api_name="contacts", singular_name="Contact",
            plural_name="Contacts", description="People, identified by email.", is_system=True,
        )
        for position, (api_name, label, type_, unique, required) in enumerate(FIELDS):
            field_id = uuid.uuid4()
            Field.objects.create(
                id=field_id, org=org, object=obj, key=field_id.hex, api_name=api_name,
                label=label, type=type_, unique=unique, required=required, options={},
                aliases=[], position=position, is_system=True,
            )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("records", "0001_initial"),
    ]

    operations = [migrations.RunPython(provision, migrations.RunPython.noop)]
