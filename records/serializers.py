from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.schema import NOT_BLANK_PATTERN
from api.serializers import StrictInputSerializer
from records.models import Field, FieldTypeName, Object
from records.services.schema import API_NAME, RESERVED_FIELD_NAMES


class FieldSerializer(serializers.ModelSerializer):
    value_schema = serializers.SerializerMethodField(
        help_text="JSON Schema of the field's value as records show it."
    )

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
            "value_schema",
        ]
        read_only_fields = fields

    @extend_schema_field({"type": "object", "additionalProperties": True})
    def get_value_schema(self, field: Field) -> dict:
        return field.kind.openapi_schema(field.options)


class ObjectSerializer(serializers.ModelSerializer):
    fields = FieldSerializer(many=True, read_only=True)

    class Meta:
        model = Object
        fields = ["api_name", "singular_name", "plural_name", "description", "is_system", "fields"]
        read_only_fields = fields


@extend_schema_field({"type": "string", "pattern": API_NAME.pattern})
class ApiNameField(serializers.CharField):
    """An object's api_name (records.services.schema.API_NAME), taken as sent: "deals\n" is
    refused like the pattern says, not trimmed to "deals"."""

    def __init__(self, **kwargs):
        super().__init__(trim_whitespace=False, **kwargs)


@extend_schema_field(
    {
        "type": "string",
        "pattern": API_NAME.pattern,
        "not": {"anyOf": [{"enum": sorted(RESERVED_FIELD_NAMES)}, {"pattern": "__"}]},
    }
)
class FieldApiNameField(ApiNameField):
    """A field's api_name: not one of the names every record has already, and without the
    double underscore that filters put before their operator."""


class FieldInputSerializer(StrictInputSerializer):
    api_name = FieldApiNameField(max_length=63)
    label = serializers.CharField(max_length=200, required=False, allow_blank=True)
    type = serializers.ChoiceField(choices=FieldTypeName.choices)
    required = serializers.BooleanField(required=False)
    unique = serializers.BooleanField(required=False)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    options = serializers.DictField(required=False)


class FieldUpdateSerializer(FieldInputSerializer):
    api_name = FieldApiNameField(max_length=63, required=False)
    type = serializers.ChoiceField(choices=FieldTypeName.choices, required=False)


class ObjectCreateSerializer(StrictInputSerializer):
    api_name = ApiNameField(max_length=63)
    singular_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    plural_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    fields = FieldInputSerializer(many=True, required=False)


# A name that, trimmed, is not blank: the document says so with a pattern.
@extend_schema_field(
    {"type": "string", "minLength": 1, "maxLength": 200, "pattern": NOT_BLANK_PATTERN}
)
class ObjectNameField(serializers.CharField):
    def __init__(self, **kwargs):
        super().__init__(max_length=200, **kwargs)


class ObjectUpdateSerializer(StrictInputSerializer):
    singular_name = ObjectNameField(required=False)
    plural_name = ObjectNameField(required=False)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)


# --- Records. Their fields differ per object, so these describe the shape for OpenAPI and
# records.representation builds the actual payloads.


class RecordMetaSerializer(serializers.Serializer):
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    archived_at = serializers.DateTimeField(read_only=True, allow_null=True)
    version = serializers.IntegerField(read_only=True)


class RecordSerializer(serializers.Serializer):
    has_etag = True  # one record is answered with its version as ETag (api.schema)

    id = serializers.CharField(read_only=True, help_text="Opaque; up to 255 characters.")
    object = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    # Not read_only: OpenAPI marks read-only properties required, and lists leave these out.
    fields = serializers.DictField(
        required=False,
        help_text="Values keyed by field id; relationships as {id, object, name}. "
        "Left out with select=-fields.",
    )
    archived = serializers.BooleanField(read_only=True)
    meta = RecordMetaSerializer(
        required=False,
        help_text="On by default for one record, off in lists (select=meta / -meta).",
    )


class FieldValueCountSerializer(serializers.Serializer):
    value = serializers.JSONField(help_text="The value; null for records without one.")
    count = serializers.IntegerField()


class DeletedRecordSerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    deleted = serializers.BooleanField(read_only=True)


class BatchResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="The operation's position in `operations`.")
    status = serializers.IntegerField(help_text="The status the operation would have alone.")
    data = serializers.DictField(
        required=False,
        help_text="The record written, or {id, deleted: true} for a delete. Absent on failure.",
    )
    created = serializers.BooleanField(required=False)
    errors = serializers.CharField(required=False, help_text="On failure: what went wrong.")
    errorDetail = serializers.DictField(required=False)
    missingInputVars = serializers.ListField(child=serializers.CharField(), required=False)


# What a merge changed, beside `data` in its answer (a member of the envelope, not a body).
MERGE_SUMMARY_SCHEMA = {
    "type": "object",
    "description": "What the merge changed.",
    "properties": {
        "merged_id": {"type": "string", "description": "The record merged in, now deleted."},
        "filled_fields": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Fields of the survivor that were empty and took the merged value.",
        },
        "relinked_records": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "object": {"type": "string"},
                    "name": {"type": "string"},
                },
                "required": ["id", "object", "name"],
            },
            "description": "Other records whose links moved from the merged record to this one.",
        },
    },
    "required": ["merged_id", "filled_fields", "relinked_records"],
}
