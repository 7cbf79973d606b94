from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers import StrictInputSerializer
from webhooks.destinations import MAX_URL_LENGTH
from webhooks.models import Attempt, Delivery, Endpoint, event_public_id
from webhooks.services import EVENT_PATTERNS, MAX_DESCRIPTION


class EndpointSerializer(serializers.ModelSerializer):
    events = serializers.ListField(
        source="event_types", child=serializers.CharField(), help_text="Event type patterns."
    )
    objects = serializers.ListField(
        source="object_names",
        child=serializers.CharField(),
        help_text="Object api_names whose events are sent; empty means every object.",
    )
    disabled_reason = serializers.CharField(
        allow_null=True, help_text="Why the platform disabled the endpoint, if it did."
    )

    class Meta:
        model = Endpoint
        fields = [
            "id",
            "url",
            "events",
            "objects",
            "description",
            "active",
            "disabled_reason",
            "disabled_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["disabled_reason"] = instance.disabled_reason or None
        return data


class EndpointWithSecretSerializer(EndpointSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="`whsec_…`: shown on create and rotate only. Store it now."
    )

    class Meta(EndpointSerializer.Meta):
        fields = [*EndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


# What a URL must look like before webhooks.destinations checks its parts and its address:
# http(s)://, then visible ASCII (spaces, control and non-ASCII characters are refused).
@extend_schema_field(
    {
        "type": "string",
        "maxLength": MAX_URL_LENGTH,
        "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://[!-~]+$",
        "description": "An http(s) URL; HTTPS only, to a public address, in production.",
    }
)
class WebhookUrlField(serializers.CharField):
    pass


@extend_schema_field(
    {"type": "array", "minItems": 1, "items": {"type": "string", "enum": list(EVENT_PATTERNS)}}
)
class EventPatternsField(serializers.ListField):
    pass


class EndpointCreateSerializer(StrictInputSerializer):
    url = WebhookUrlField(max_length=MAX_URL_LENGTH)
    events = EventPatternsField(
        child=serializers.CharField(max_length=100),
        help_text=f"Any of {', '.join(EVENT_PATTERNS)}.",
    )
    objects = serializers.ListField(
        child=serializers.CharField(max_length=63), required=False, help_text="Empty: all."
    )
    description = serializers.CharField(
        max_length=MAX_DESCRIPTION, required=False, allow_blank=True
    )
    active = serializers.BooleanField(required=False)


class EndpointUpdateSerializer(EndpointCreateSerializer):
    url = WebhookUrlField(max_length=MAX_URL_LENGTH, required=False)
    events = EventPatternsField(child=serializers.CharField(max_length=100), required=False)


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attempt
        fields = ["number", "started_at", "duration_ms", "status_code", "response_body", "error"]
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    endpoint_id = serializers.UUIDField(read_only=True)
    event_id = serializers.SerializerMethodField()
    event_type = serializers.CharField(source="event.type", read_only=True)
    attempts = AttemptSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "endpoint_id",
            "event_id",
            "event_type",
            "status",
            "attempt_count",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "created_at",
            "updated_at",
            "attempts",
        ]
        read_only_fields = fields

    def get_event_id(self, delivery: Delivery) -> str:
        return event_public_id(delivery.event_id)


class EventSerializer(serializers.Serializer):
    """An event as webhooks carry it."""

    id = serializers.CharField(help_text="`evt_…`; the `webhook-id` of its deliveries.")
    type = serializers.CharField()
    created_at = serializers.DateTimeField()
    org_id = serializers.UUIDField()
    object = serializers.CharField(allow_null=True)
    data = serializers.DictField(help_text="The record (for record events).")
    changes = serializers.DictField(
        required=False,
        help_text='record.updated: {"name" | "fields.<id>": {"from": …, "to": …}}.',
    )
