"""The staff admin for objects, fields and records. Staff see only their organizations.

Every change goes through records.services: the forms call the service once Django's own
validation has passed (ServiceForm), so that a domain error (a duplicate, a breaking schema
change) comes back as a form error, not a 500; save_model only picks up what was saved.
"""

import datetime as dt
import uuid
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.admin_display import (
    OrganizationInTitleMixin,
    foreign_key_choices,
    object_with_organization,
    sees_several_organizations,
    with_organization,
)
from accounts.selectors import organizations_for_user
from api.exceptions import DomainError
from records import selectors, services
from records.admin_search import records_matching
from records.filters import apply_query_filters
from records.models import Field, Object, Record, UniqueValue
from records.object_schema import ObjectSchema
from records.ordering import FIELD_PREFIX as ORDERING_FIELD_PREFIX
from records.registry import policy_for
from records.services.records import UNSET
from records.services.schema import FIELD_PROPERTIES


def add_domain_error(form: forms.Form, error: DomainError, *, prefix: str = "") -> None:
    """Puts a service's error on the form: per field where the detail names one."""
    placed = False
    if isinstance(error.detail, dict):
        for key, problems in error.detail.items():
            name = prefix + str(key).removeprefix("fields.")
            if name in form.fields and isinstance(problems, list):
                form.add_error(name, problems)
                placed = True
    for name in error.missing:
        name = prefix + name.removeprefix("fields.")
        if name in form.fields:
            form.add_error(name, "This field is required.")
            placed = True
    if not placed:
        form.add_error(None, error.message)


class ServiceForm(forms.ModelForm):
    saved = None

    def _post_clean(self):
        super()._post_clean()
        if not self.errors:
            try:
                self.saved = self.save_through_service(self.cleaned_data)
            except DomainError as error:
                add_domain_error(self, error, prefix=self.error_prefix)

    error_prefix = ""

    def save_through_service(self, cleaned: dict[str, Any]):
        raise NotImplementedError


class FieldInline(admin.TabularInline):
    """Fields are listed here; they are added and changed on the Field pages (through the
    service, which refuses changes that would break stored data)."""

    model = Field
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["api_name", "label", "type", "required", "unique", "aliases"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class ObjectForm(ServiceForm):
    class Meta:
        model = Object
        fields = ["org", "api_name", "singular_name", "plural_name", "description"]

    def save_through_service(self, cleaned):
        if self.instance._state.adding:
            return services.create_object(
                org=cleaned["org"],
                api_name=cleaned["api_name"],
                singular_name=cleaned["singular_name"],
                plural_name=cleaned["plural_name"],
                description=cleaned.get("description", ""),
            )
        original = Object.objects.get(pk=self.instance.pk)
        return services.update_object(obj=original, changes=cleaned)


@admin.register(Object)
class ObjectAdmin(OrganizationInTitleMixin, admin.ModelAdmin):
    form = ObjectForm
    list_display = ["api_name", "plural_name", "org", "is_system"]
    list_filter = ["is_system"]
    search_fields = ["api_name", "plural_name"]
    inlines = [FieldInline]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(org__in=organizations_for_user(request.user))

    def get_readonly_fields(self, request, obj=None):
        return ["org", "api_name", "is_system"] if obj else ["is_system"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "org":
            kwargs["queryset"] = organizations_for_user(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        obj.pk = form.saved.pk  # saved by the service in ObjectForm.clean

    def delete_model(self, request, obj):
        services.delete_object(obj=obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            services.delete_object(obj=obj)


class FieldForm(ServiceForm):
    options = forms.JSONField(required=False, initial=dict)

    class Meta:
        model = Field
        fields = ["object", *FIELD_PROPERTIES]

    def save_through_service(self, cleaned):
        definition = {name: cleaned.get(name) for name in FIELD_PROPERTIES if name in cleaned}
        definition["options"] = definition.get("options") or {}
        if self.instance._state.adding:
            obj = selectors.object_by_api_name(
                org_id=cleaned["object"].org_id, api_name=cleaned["object"].api_name
            )
            return services.create_field(obj=obj, definition=definition)
        original = Field.objects.get(pk=self.instance.pk)
        changes = {
            name: value for name, value in definition.items() if getattr(original, name) != value
        }
        return services.update_field(field=original, changes=changes)


@admin.register(Field)
class FieldAdmin(OrganizationInTitleMixin, admin.ModelAdmin):
    form = FieldForm
    list_display = ["api_name", "object", "type", "required", "unique", "position"]
    list_filter = ["type"]
    search_fields = ["api_name", "label", "object__api_name"]
    list_select_related = ["object", "org"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(org__in=organizations_for_user(request.user))

    def get_list_display(self, request):
        if not sees_several_organizations(request):
            return self.list_display
        return [
            object_with_organization if column == "object" else column
            for column in self.list_display
        ]

    def get_readonly_fields(self, request, obj=None):
        return ["object", "aliases", "is_system"] if obj else ["aliases", "is_system"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "object":
            kwargs["queryset"] = Object.objects.filter(org__in=organizations_for_user(request.user))
            kwargs = foreign_key_choices(request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        obj.pk = form.saved.pk

    def delete_model(self, request, obj):
        services.delete_field(field=obj)

    def delete_queryset(self, request, queryset):
        for field in queryset:
            services.delete_field(field=field)


# --- Records ------------------------------------------------------------------------------

FIELD_PREFIX = "value_"
MAX_COLUMNS = 12


def to_service_value(value: Any) -> Any:
    """A form field's cleaned value as the API would send it."""
    if value in (None, "", []):
        return None
    if isinstance(value, Record):
        return str(value.pk)
    if isinstance(value, QuerySet):
        return [str(record.pk) for record in value] or None
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def object_id_param(request: HttpRequest) -> str | None:
    """The `object` query parameter when it is a valid id (anything else is ignored)."""
    try:
        return str(uuid.UUID(request.GET.get("object", "")))
    except ValueError:
        return None


class RecordPickerMixin:
    """The admin's searching select (select2 over the autocomplete view) limited to one
    object's records: the object's id rides on the autocomplete URL, and RecordAdmin's search
    narrows to it."""

    # Any foreign key to Record will do as the "source field" the autocomplete view wants.
    source_field = UniqueValue._meta.get_field("record")

    def __init__(self, *, target: Object, **kwargs: Any) -> None:
        super().__init__(self.source_field, admin.site, **kwargs)
        self.target = target

    def get_url(self) -> str:
        return f"{super().get_url()}?object={self.target.pk}"


class RecordPicker(RecordPickerMixin, AutocompleteSelect):
    pass


class RecordsPicker(RecordPickerMixin, AutocompleteSelectMultiple):
    pass


def typed_form_field(field: Field) -> forms.Field:
    """The admin widget for a field: date inputs, select choices, a record picker."""
    common = {"required": field.required, "label": field.label, "help_text": field.description}
    if field.kind.links_records:
        target = Object.objects.filter(
            org_id=field.org_id, api_name=field.options["target"]
        ).first()
        targets = Record.objects.filter(org_id=field.org_id, object=target)
        if field.options.get("many"):
            return forms.ModelMultipleChoiceField(
                queryset=targets, widget=RecordsPicker(target=target), **common
            )
        return forms.ModelChoiceField(
            queryset=targets, widget=RecordPicker(target=target), **common
        )
    return field.kind.form_field(field.options, **common)


class RecordForm(ServiceForm):
    """Name plus one typed form field per field of the record's object."""

    error_prefix = FIELD_PREFIX

    class Meta:
        model = Record
        fields = ["object", "name"]

    def __init__(self, *args, schema: ObjectSchema | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.schema = schema
        if schema is not None and policy_for(schema.obj).derives_name():
            self.fields.pop("name", None)  # derived from the values (contacts)
        elif "name" in self.fields:
            self.fields["name"].required = True
        for field in schema.fields if schema else ():
            form_field = typed_form_field(field)
            if self.instance.pk and field.key in self.instance.values:
                form_field.initial = field.kind.form_initial(self.instance.values[field.key])
            self.fields[FIELD_PREFIX + field.api_name] = form_field

    def save_through_service(self, cleaned):
        schema = self.schema
        if self.instance._state.adding:
            schema = schema or ObjectSchema.of(cleaned["object"])
            values = (
                {
                    field.api_name: to_service_value(cleaned.get(FIELD_PREFIX + field.api_name))
                    for field in self.schema.fields
                }
                if self.schema
                else {}
            )
            values = {name: value for name, value in values.items() if value is not None}
            return services.create_record(schema=schema, name=self.sent_name(), fields=values)
        # Only what the user changed: an untouched value is not rewritten (nor re-rounded).
        values = {
            field.api_name: to_service_value(cleaned.get(FIELD_PREFIX + field.api_name))
            for field in schema.fields
            if FIELD_PREFIX + field.api_name in self.changed_data
        }
        original = Record.objects.get(pk=self.instance.pk)
        return services.update_record(
            schema=schema, record=original, name=self.sent_name(), fields=values
        )

    def sent_name(self):
        return self.cleaned_data["name"] if "name" in self.fields else UNSET


class ArchivedFilter(admin.SimpleListFilter):
    title = "archived"
    parameter_name = "archived"

    def lookups(self, request, model_admin):
        return [("false", "Active"), ("true", "Archived"), ("all", "All")]

    def queryset(self, request, queryset):
        value = self.value() or "false"
        if value == "false":
            return queryset.filter(archived_at__isnull=True)
        if value == "true":
            return queryset.filter(archived_at__isnull=False)
        return queryset

    def choices(self, changelist):
        current = self.value() or "false"
        for lookup, title in self.lookup_choices:
            yield {
                "selected": current == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


class ObjectFilter(admin.SimpleListFilter):
    title = "object"
    parameter_name = "object"

    def lookups(self, request, model_admin):
        objects = Object.objects.filter(
            org__in=organizations_for_user(request.user)
        ).select_related("org")
        if not sees_several_organizations(request):
            return [(str(obj.pk), obj.plural_name) for obj in objects]
        return [(str(obj.pk), with_organization(obj.plural_name, obj.org)) for obj in objects]

    def queryset(self, request, queryset):
        object_id = object_id_param(request)
        return queryset.filter(object_id=object_id) if object_id else queryset


class FieldFilters(admin.ListFilter):
    """The API's `fields__<field>[__<operator>]` filters in the admin's URL, applied through the
    same FilterSet as the API's list and search (records.filters)."""

    title = "by field"
    template = "admin/records/field_filters.html"

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.schema = model_admin.selected_schema(request)
        for name in [name for name in params if name.startswith(ORDERING_FIELD_PREFIX)]:
            self.used_parameters[name] = params.pop(name)[-1]

    def has_output(self) -> bool:
        return bool(self.used_parameters)

    def choices(self, changelist):
        return []

    def expected_parameters(self):
        return list(self.used_parameters)

    def queryset(self, request, queryset):
        if not self.used_parameters:
            return queryset
        if self.schema is None:
            raise IncorrectLookupParameters("Choose an object to filter by its fields.")
        try:
            return apply_query_filters(self.schema, queryset, self.used_parameters)
        except DomainError as error:
            raise IncorrectLookupParameters(error.message) from None


@admin.register(Record)
class RecordAdmin(OrganizationInTitleMixin, admin.ModelAdmin):
    form = RecordForm
    list_filter = [ObjectFilter, ArchivedFilter, "created_at", FieldFilters]
    # Searched by get_search_results (records.admin_search): the name and the text values.
    search_fields = ["name"]
    list_select_related = ["object", "org"]
    actions = ["archive_selected", "unarchive_selected"]
    readonly_fields = ["archived_at", "created_at", "updated_at", "version"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(org__in=organizations_for_user(request.user))

    def get_search_results(self, request, queryset, search_term):
        # The record picker asks with ?object=<id>: only that object's records.
        object_id = object_id_param(request)
        if object_id:
            queryset = queryset.filter(object_id=object_id)
        if not search_term:
            return queryset, False
        orgs = organizations_for_user(request.user)
        return queryset.filter(records_matching(search_term, orgs=orgs)), False

    def selected_schema(self, request, obj: Record | None = None) -> ObjectSchema | None:
        object_id = str(obj.object_id) if obj else object_id_param(request)
        if not object_id:
            return None
        found = Object.objects.filter(
            org__in=organizations_for_user(request.user), pk=object_id
        ).first()
        return ObjectSchema.of(found) if found else None

    def get_list_display(self, request):
        schema = self.selected_schema(request)
        by_object = object_with_organization if sees_several_organizations(request) else "object"
        columns: list[Any] = ["name", by_object, "created_at"]
        if schema is not None:
            columns += [self.column(field) for field in schema.fields][:MAX_COLUMNS]
        return columns

    @staticmethod
    def column(field: Field):
        def show(record: Record) -> str:
            value = record.values.get(field.key)
            if value is None:
                return "—"
            return ", ".join(map(str, value)) if isinstance(value, list) else str(value)

        show.short_description = field.label
        return show

    def get_form(self, request, obj=None, change=False, **kwargs):
        schema = self.selected_schema(request, obj)
        # The model's own fields only; RecordForm adds one form field per custom field.
        kwargs["fields"] = ["name"] if obj else ["object", "name"]
        base = super().get_form(request, obj, change, **kwargs)

        class BoundRecordForm(base):
            def __init__(self, *args, **inner):
                super().__init__(*args, schema=schema, **inner)

        return BoundRecordForm

    def get_fields(self, request, obj=None):
        schema = self.selected_schema(request, obj)
        custom = [FIELD_PREFIX + field.api_name for field in schema.fields] if schema else []
        derived = schema is not None and policy_for(schema.obj).derives_name()
        base = custom if derived else ["name", *custom]
        return [*base, *self.readonly_fields] if obj else ["object", *base]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "object":
            kwargs["queryset"] = Object.objects.filter(org__in=organizations_for_user(request.user))
            kwargs = foreign_key_choices(request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        obj.pk = form.saved.pk  # saved by the service in RecordForm

    def delete_model(self, request, obj):
        services.delete_record(record=obj)

    def delete_queryset(self, request, queryset):
        for record in queryset.select_related("object"):
            services.delete_record(record=record)

    @admin.action(description="Archive the selected records")
    def archive_selected(self, request, queryset):
        records = list(queryset)
        for record in records:
            services.archive_record(record=record)
        self.message_user(request, f"Archived {len(records)} record(s).", messages.SUCCESS)

    @admin.action(description="Unarchive the selected records")
    def unarchive_selected(self, request, queryset):
        records = list(queryset)
        for record in records:
            services.unarchive_record(record=record)
        self.message_user(request, f"Unarchived {len(records)} record(s).", messages.SUCCESS)
