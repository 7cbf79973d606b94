"""The Contacts page: email, name and phone columns, search by email and name. Changing a
contact uses the records admin's typed form (and so the services)."""

from django.contrib import admin
from django.db.models import Q
from django.db.models.fields.json import KeyTextTransform
from django.http import HttpRequest

from accounts.selectors import organizations_for_user
from contacts.models import Contact
from contacts.policy import CONTACTS
from records.admin import RecordAdmin
from records.models import Field


def contact_fields(request: HttpRequest, api_name: str) -> list[Field]:
    """The system field `api_name` of every contacts object the staff user can see."""
    return list(
        Field.objects.filter(
            org__in=organizations_for_user(request.user),
            object__api_name=CONTACTS,
            object__is_system=True,
            api_name=api_name,
            is_system=True,
        )
    )


def system_value(api_name: str, label: str):
    def show(contact: Contact) -> str:
        for field in contact.object.fields.all():
            if field.api_name == api_name and field.is_system:
                return contact.values.get(field.key) or "—"
        return "—"

    show.short_description = label
    return show


@admin.register(Contact)
class ContactAdmin(RecordAdmin):
    list_display = [system_value("email", "Email"), "name", system_value("phone", "Phone")]
    list_filter = []
    search_fields = ["name"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(object__api_name=CONTACTS, object__is_system=True)
            .prefetch_related("object__fields")
        )

    def get_list_display(self, request):
        return self.list_display

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if search_term:
            by_email = Q()
            for field in contact_fields(request, "email"):
                by_email |= Q(
                    pk__in=Contact.objects.annotate(email=KeyTextTransform(field.key, "values"))
                    .filter(object_id=field.object_id, email__icontains=search_term)
                    .values("pk")
                )
            queryset = queryset | self.get_queryset(request).filter(by_email)
        return queryset, may_have_duplicates

    def has_add_permission(self, request) -> bool:
        # New contacts come from the API or the Records page (choose the contacts object there).
        return False
