"""The Contacts page: email, name and phone columns (and the organization, for a user who sees
several), searched like the records (name, email and the other text values). Changing a
contact uses the records admin's typed form (and so the services)."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse

from accounts.admin_display import organization_column, sees_several_organizations
from api.exceptions import DomainError
from contacts.models import Contact
from contacts.policy import CONTACTS
from records.admin import RecordAdmin
from records.object_schema import ObjectSchema
from records.services import merge_records
from records.services.merge import merge_summary


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
    actions = [*RecordAdmin.actions, "merge_selected"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(object__api_name=CONTACTS, object__is_system=True)
            .prefetch_related("object__fields")
        )

    def get_list_display(self, request):
        if sees_several_organizations(request):
            return [*self.list_display, organization_column]
        return self.list_display

    def has_add_permission(self, request) -> bool:
        # New contacts come from the API or the Records page (choose the contacts object there).
        return False

    @admin.action(description="Merge the two selected contacts")
    def merge_selected(self, request, queryset):
        """First a page to choose which contact stays; then the merge, through the service."""
        contacts = list(queryset.select_related("object").order_by("created_at"))
        if len(contacts) != 2 or contacts[0].object_id != contacts[1].object_id:
            self.message_user(
                request, "Select exactly two contacts of one organization to merge.", messages.ERROR
            )
            return None
        chosen = request.POST.get("survivor")
        if chosen is None:
            return self._merge_page(request, contacts)
        survivor = next((c for c in contacts if str(c.pk) == chosen), None)
        if survivor is None:
            self.message_user(request, "Choose one of the two contacts to keep.", messages.ERROR)
            return None
        merged = contacts[1] if survivor is contacts[0] else contacts[0]
        schema = ObjectSchema.of(survivor.object)
        try:
            outcome = merge_records(schema=schema, survivor=survivor, merged=merged)
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
            return None
        summary = merge_summary(outcome)
        filled = ", ".join(summary["filled_fields"]) or "nothing"
        self.message_user(
            request,
            f"Merged {merged.name} into {outcome.record.name}: filled {filled}; moved the links "
            f"of {len(summary['relinked_records'])} other record(s).",
            messages.SUCCESS,
        )
        return None

    def _merge_page(self, request, contacts):
        schema = ObjectSchema.of(contacts[0].object)
        rows = [
            (field.label, *(RecordAdmin.column(field)(contact) for contact in contacts))
            for field in schema.fields
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": "Merge two contacts",
            "opts": self.model._meta,
            "contacts": contacts,
            "rows": rows,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/contacts/merge.html", context)
