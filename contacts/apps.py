from django.apps import AppConfig
from django.db.models.signals import post_save


class ContactsConfig(AppConfig):
    name = "contacts"

    def ready(self) -> None:
        from accounts.models import Organization
        from contacts.policy import CONTACTS, ContactPolicy
        from records.registry import register_policy

        register_policy(CONTACTS, ContactPolicy())
        post_save.connect(
            provision_new_organization, sender=Organization, dispatch_uid="contacts.provision"
        )


def provision_new_organization(sender, instance, created: bool, raw: bool = False, **kwargs):
    if created and not raw:
        from contacts.services import provision_contacts

        provision_contacts(org=instance)
