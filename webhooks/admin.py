"""Webhooks in the admin: endpoints with their recent success rate and why they were disabled,
deliveries with their attempts; actions to retry deliveries and send test events. Endpoints
are created through the API (their secret is shown there, once)."""

from datetime import timedelta

from django.contrib import admin, messages
from django.db.models import Count, Q
from django.utils import timezone

from accounts.admin_display import milliseconds
from accounts.selectors import organizations_for_user
from webhooks import services
from webhooks.delivery import send_test_event
from webhooks.models import Attempt, Delivery, Endpoint, Event

RECENT = timedelta(hours=24)


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "org", "active", "success_rate", "disabled_reason", "created_at"]
    list_filter = ["active"]
    search_fields = ["url", "description", "org__name"]
    list_select_related = ["org"]
    fields = [
        "org",
        "url",
        "event_types",
        "object_names",
        "description",
        "active",
        "disabled_reason",
        "disabled_at",
        "created_at",
        "updated_at",
    ]
    readonly_fields = [
        "org",
        "url",
        "event_types",
        "object_names",
        "disabled_reason",
        "disabled_at",
        "created_at",
        "updated_at",
    ]
    actions = ["send_test_event"]

    def get_queryset(self, request):
        since = timezone.now() - RECENT
        recent = Q(deliveries__updated_at__gte=since)
        return (
            super()
            .get_queryset(request)
            .filter(org__in=organizations_for_user(request.user))
            .annotate(
                recent_succeeded=Count(
                    "deliveries", filter=recent & Q(deliveries__status="succeeded")
                ),
                recent_failed=Count("deliveries", filter=recent & Q(deliveries__status="failed")),
            )
        )

    @admin.display(description="Success (24 h)")
    def success_rate(self, endpoint: Endpoint) -> str:
        finished = endpoint.recent_succeeded + endpoint.recent_failed
        if not finished:
            return "—"
        return f"{endpoint.recent_succeeded / finished:.0%} of {finished}"

    def has_add_permission(self, request) -> bool:
        return False  # through the API, which shows the new secret once

    def save_model(self, request, obj, form, change):
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        services.update_endpoint(obj, changes=changes)

    def delete_model(self, request, obj):
        services.delete_endpoint(obj)

    @admin.action(description="Send a test event to the selected endpoints", permissions=["change"])
    def send_test_event(self, request, queryset):
        for endpoint in queryset:
            delivery = send_test_event(endpoint)
            if delivery.status == "succeeded":
                outcome, level = f"HTTP {delivery.last_status_code}", messages.SUCCESS
            elif delivery.last_status_code:
                outcome, level = f"HTTP {delivery.last_status_code}", messages.WARNING
            else:
                outcome, level = delivery.last_error or "not sent", messages.WARNING
            self.message_user(request, f"Test event to {endpoint.url}: {outcome}", level)


class AttemptInline(admin.TabularInline):
    model = Attempt
    fields = ["number", "started_at", "duration", "status_code", "error", "response_body"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description="duration")
    def duration(self, attempt: Attempt) -> str:
        return milliseconds(attempt.duration_ms)

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "event_type",
        "endpoint",
        "status",
        "attempt_count",
        "last_status_code",
        "next_attempt_at",
        "created_at",
    ]
    list_filter = ["status"]
    search_fields = ["endpoint__url", "event__type", "event__record_id"]
    list_select_related = ["endpoint", "event"]
    inlines = [AttemptInline]
    actions = ["retry_selected"]
    readonly_fields = [
        "endpoint",
        "event",
        "status",
        "attempt_count",
        "next_attempt_at",
        "last_status_code",
        "last_error",
        "created_at",
        "updated_at",
    ]
    fields = readonly_fields

    def get_queryset(self, request):
        return super().get_queryset(request).filter(org__in=organizations_for_user(request.user))

    @admin.display(description="Event")
    def event_type(self, delivery: Delivery) -> str:
        return delivery.event.type

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # a delivery's log is not edited

    def has_retry_permission(self, request) -> bool:
        """Retrying sends a request: staff who may change the endpoints may retry."""
        return request.user.has_perm("webhooks.change_endpoint")

    @admin.action(description="Retry the selected deliveries now", permissions=["retry"])
    def retry_selected(self, request, queryset):
        deliveries = list(queryset)
        for delivery in deliveries:
            services.retry_delivery(delivery)
        self.message_user(
            request, f"Queued {len(deliveries)} delivery(ies) for a new attempt.", messages.SUCCESS
        )


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["id", "type", "object_name", "record_id", "org", "created_at"]
    list_filter = ["type"]
    search_fields = ["record_id", "object_name"]
    list_select_related = ["org"]
    readonly_fields = ["id", "org", "type", "object_name", "record_id", "payload", "created_at"]
    fields = readonly_fields

    def get_queryset(self, request):
        return super().get_queryset(request).filter(org__in=organizations_for_user(request.user))

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
