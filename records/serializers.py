from rest_framework import serializers

from api.serializers import StrictInputSerializer
from records.models import Field, FieldTypeName, Object


class FieldSerializer(serializers.ModelSerializer):
    class Meta:
        model = Field
        fields = [
            "api_name",
            "label",
            "type",
            "required",
            "unique",
            "description",
            "options",
            "aliases",
            "is_system",
        ]
        read_only_fields = fields


class ObjectSerializer(serializers.ModelSerializer):
    fields = FieldSerializer(many=True, read_only=True)

    class Meta:
        model = Object
        fields = ["api_name", "singular_name", "plural_name", "description", "is_system", "fields"]
        read_only_fields = fields


class FieldInputSerializer(StrictInputSerializer):
    api_name = serializers.CharField(max_length=63)
    label = serializers.CharField(max_length=200, required=False, allow_blank=True)
    type = serializers.ChoiceField(choices=FieldTypeName.choices)
    required = serializers.BooleanField(required=False)
    unique = serializers.BooleanField(required=False)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    options = serializers.DictField(required=False)


class FieldUpdateSerializer(FieldInputSerializer):
    api_name = serializers.CharField(max_length=63, required=False)
    type = serializers.ChoiceField(choices=FieldTypeName.choices, required=False)


class ObjectCreateSerializer(StrictInputSerializer):
    api_name = serializers.CharField(max_length=63)
    singular_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    plural_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    fields = FieldInputSerializer(many=True, required=False)


class ObjectUpdateSerializer(StrictInputSerializer):
    singular_name = serializers.CharField(max_length=200, required=False)
    plural_name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
