from django.conf import settings
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from api.query import MAX_OFFSET, MAX_PAGE
from api.schema import comma_list
from api.serializers import StrictInputSerializer
from records.batch_operations import MAX_OPERATIONS
from records.field_types.base import ALL_OPERATORS
from records.models import Field, FieldTypeName, Object
from records.ordering import BUILT_IN_SORT_KEYS, FIELD_PREFIX
from records.representation import MAX_ID_LENGTH
from records.services.schema import API_NAME, RESERVED_FIELD_NAMES
from records.values import MAX_NAME


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


class ObjectUpdateSerializer(StrictInputSerializer):
    singular_name = serializers.CharField(max_length=200, required=False)
    plural_name = serializers.CharField(max_length=200, required=False)
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


class RecordWriteSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, max_length=1000)
    fields = serializers.DictField(
        required=False, help_text="Values keyed by field id (or a former id); null clears."
    )


class FilterConditionSerializer(serializers.Serializer):
    operator = serializers.ChoiceField(
        choices=ALL_OPERATORS,
        required=False,
        help_text='Default "" (equal).',
    )
    value = serializers.JSONField(help_text="A list of values (a bare scalar is accepted).")


# A custom field's key names a field of the object: `fields__` and an api_name.
SORT_KEYS = comma_list(
    [*BUILT_IN_SORT_KEYS, f"{FIELD_PREFIX}[a-z][a-z0-9_]{{0,62}}"], descending=True
)
SELECT_PARTS = comma_list(["meta", "fields"], descending=True)


@extend_schema_field(SORT_KEYS)
class SortField(serializers.CharField):
    pass


@extend_schema_field(SELECT_PARTS)
class SelectField(serializers.CharField):
    pass


# At most API_MAX_SEARCH_ANY_GROUPS groups (docs/api.md, Limits), each with a condition.
@extend_schema_field(
    {
        "type": "array",
        "maxItems": settings.API_MAX_SEARCH_ANY_GROUPS,
        "items": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": {"$ref": "#/components/schemas/FilterConditionRequest"},
        },
    }
)
class AnyGroupsField(serializers.ListField):
    pass


class RecordSearchSerializer(serializers.Serializer):
    filters = serializers.DictField(
        child=FilterConditionSerializer(),
        required=False,
        help_text="Keyed by id, name, created_at, updated_at or fields__<field>; ANDed.",
    )
    any = AnyGroupsField(
        child=serializers.DictField(child=FilterConditionSerializer()),
        required=False,
        help_text="AND-groups of filters, ORed together.",
    )
    sort = SortField(required=False)
    select = SelectField(required=False)
    archived = serializers.ChoiceField(choices=["false", "true", "all"], required=False)
    # As the list parameters (api.base_views.LIST_PARAMETERS); not both of a pair.
    limit = serializers.IntegerField(required=False, min_value=0, max_value=MAX_OFFSET)
    offset = serializers.IntegerField(required=False, min_value=0, max_value=MAX_OFFSET)
    page = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=MAX_OFFSET)


class RecordUpsertSerializer(RecordWriteSerializer):
    match_on = serializers.CharField(
        required=False,
        help_text="A unique field to match on. Default: email for contacts, name otherwise.",
    )


class FieldValueCountSerializer(serializers.Serializer):
    value = serializers.JSONField(help_text="The value; null for records without one.")
    count = serializers.IntegerField()


class DeletedRecordSerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    deleted = serializers.BooleanField(read_only=True)


# Each kind of operation takes its own inputs (records.batch_operations.OPERATION_INPUTS).
class BatchCreateOperationSerializer(serializers.Serializer):
    op = serializers.ChoiceField(choices=["create"])
    name = serializers.CharField(required=False, max_length=MAX_NAME)
    fields = serializers.DictField(required=False, help_text="Values keyed by field id.")


class BatchUpdateOperationSerializer(serializers.Serializer):
    op = serializers.ChoiceField(choices=["update"])
    id = serializers.CharField(max_length=MAX_ID_LENGTH, help_text="The record's id (or email).")
    name = serializers.CharField(required=False, max_length=MAX_NAME)
    fields = serializers.DictField(required=False, help_text="Values keyed by field id.")


class BatchUpsertOperationSerializer(serializers.Serializer):
    op = serializers.ChoiceField(choices=["upsert"])
    match_on = serializers.CharField(required=False, help_text="A unique field to match.")
    name = serializers.CharField(required=False, max_length=MAX_NAME)
    fields = serializers.DictField(required=False, help_text="Values keyed by field id.")


class BatchRecordOperationSerializer(serializers.Serializer):
    op = serializers.ChoiceField(choices=["archive", "unarchive", "delete"])
    id = serializers.CharField(max_length=MAX_ID_LENGTH, help_text="The record's id (or email).")


BATCH_OPERATION = PolymorphicProxySerializer(
    component_name="BatchOperation",
    serializers={
        "create": BatchCreateOperationSerializer,
        "update": BatchUpdateOperationSerializer,
        "upsert": BatchUpsertOperationSerializer,
        "archive": BatchRecordOperationSerializer,
        "unarchive": BatchRecordOperationSerializer,
        "delete": BatchRecordOperationSerializer,
    },
    resource_type_field_name="op",
    many=False,
)


class BatchSerializer(serializers.Serializer):
    atomic = serializers.BooleanField(
        required=False,
        default=True,
        help_text="Default true: any invalid operation means nothing is written (a 422).",
    )
    operations = serializers.ListField(
        child=BATCH_OPERATION, max_length=MAX_OPERATIONS, help_text=f"At most {MAX_OPERATIONS:,}."
    )


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


class RecordMergeSerializer(serializers.Serializer):
    # `from` is a Python keyword, hence the declared name below.
    from_ = serializers.CharField(
        help_text="The id (or a contact's email) of the record to merge in."
    )

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields
