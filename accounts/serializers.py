from rest_framework import serializers

from accounts.models import ApiKey, Organization
from api.scopes import Scope
from api.serializers import StrictInputSerializer


class OrganizationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "slug"]
        read_only_fields = fields


class ApiKeySerializer(serializers.ModelSerializer):
    revoked = serializers.BooleanField(source="is_revoked", read_only=True)

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "name",
            "prefix",
            "scope",
            "created_at",
            "last_used_at",
            "revoked_at",
            "revoked",
        ]
        read_only_fields = fields


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(
        read_only=True, help_text="The raw key. Shown this once: store it now."
    )

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]
        read_only_fields = fields


class ApiKeyCreateSerializer(StrictInputSerializer):
    scope = serializers.ChoiceField(
        choices=Scope.choices,
        error_messages={
            "invalid_choice": f'"{{input}}" is not a scope; use one of {", ".join(Scope.values)}.'
        },
    )
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class MeSerializer(serializers.Serializer):
    organization = OrganizationSerializer(read_only=True)
    api_key = ApiKeySerializer(read_only=True)
