"""Staff see the organizations they belong to, their keys and their request log; a superuser
sees everything. A key created here shows its raw value once, in the page that follows."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts import selectors, services
from accounts.admin_display import milliseconds
from accounts.models import ApiKey, Membership, Organization
from api.models import RequestLog


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    readonly_fields = ["id", "created_at"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Organization]:
        return selectors.organizations_for_user(request.user)

    def get_inlines(self, request, obj):
        # Only a superuser grants access to an organization.
        return [MembershipInline] if request.user.is_superuser else []

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["prefix", "name", "org", "scope", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["scope", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["prefix", "name", "org__name"]
    list_select_related = ["org"]
    actions = ["revoke_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiKey]:
        return (
            super()
            .get_queryset(request)
            .filter(org__in=selectors.organizations_for_user(request.user))
        )

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["org", "name", "scope"]
        return ["org", "name", "scope", "prefix", "created_at", "last_used_at", "revoked_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["org", "scope", "prefix", "created_at", "last_used_at", "revoked_at"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "org":
            kwargs["queryset"] = selectors.organizations_for_user(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj: ApiKey, form, change: bool) -> None:
        if change:
            obj.save(update_fields=["name"])
            return
        created, raw_key = services.create_api_key(org=obj.org, scope=obj.scope, name=obj.name)
        for field in ("id", "prefix", "hashed_key", "created_at"):
            setattr(obj, field, getattr(created, field))
        obj._state.adding = False
        messages.warning(
            request,
            f"The new API key is {raw_key} — copy it now: it is stored only as a hash and "
            "will not be shown again.",
        )

    @admin.action(description="Revoke the selected keys")
    def revoke_selected(self, request, queryset: QuerySet[ApiKey]) -> None:
        for api_key in queryset:
            services.revoke_api_key(api_key=api_key)
        self.message_user(request, f"Revoked {queryset.count()} key(s).")


@admin.register(RequestLog)
class RequestLogAdmin(admin.ModelAdmin):
    list_display = ["created_at", "method", "path", "status", "duration", "api_key_prefix"]
    list_filter = ["status", "method"]
    search_fields = ["=guid", "path", "api_key_prefix"]
    date_hierarchy = "created_at"
    fields = [
        "guid",
        "org_id",
        "api_key_id",
        "api_key_prefix",
        "method",
        "path",
        "status",
        "duration",
        "error",
        "created_at",
    ]
    readonly_fields = fields

    @admin.display(description="duration", ordering="duration_ms")
    def duration(self, entry: RequestLog) -> str:
        return milliseconds(entry.duration_ms)

    def get_queryset(self, request: HttpRequest) -> QuerySet[RequestLog]:
        org_ids = selectors.organizations_for_user(request.user).values("id")
        return super().get_queryset(request).filter(org_id__in=org_ids)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
