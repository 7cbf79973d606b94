"""What clients send to the records API, each shape as one serializer that both documents it
(the OpenAPI request bodies) and validates it. The inputs a body may have are the serializer's
declared fields, so the document and the check cannot drift apart.

Record values depend on the object, so a serializer checks the shape (an object, known keys,
types of the fixed inputs) and the services check the values. Errors are the API's own
(api.exceptions), raised as they are found: a malformed body is a 400 naming the input."""

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.http import QueryDict
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from api.exceptions import (
    BadRequestError,
    DomainError,
    InvalidParameterError,
    LimitExceededError,
    MissingInputError,
    UnknownInputError,
)
from api.query import MAX_OFFSET, MAX_PAGE
from api.schema import comma_list
from records.batch_operations import MAX_ID_LENGTH, MAX_OPERATIONS, Operation
from records.field_types.base import ALL_OPERATORS
from records.filters import Condition, RecordFilter, split_filter_key, unknown_filter_key
from records.ordering import BUILT_IN_SORT_KEYS, FIELD_PREFIX
from records.services.records import UNSET
from records.values import MAX_NAME, clean_name

NOT_AN_OBJECT = "The request body must be a JSON object."


# Validates in `parse` alone, so that every error is the API's own sentence rather than DRF's
# per-field defaults; `validated_data` is what `parse` returns. (A comment, not a docstring:
# OpenAPI would show a docstring on every request body.)
class InputSerializer(serializers.Serializer):
    def run_validation(self, data=serializers.empty):
        return self.parse(data)

    def parse(self, data: Any) -> dict[str, Any]:
        raise NotImplementedError

    def inputs(self) -> tuple[str, ...]:
        return tuple(self.fields)

    def refuse_unknown(self, data: Mapping, *, where: str = "") -> None:
        unknown = sorted(str(key) for key in data if key not in self.fields)
        if unknown:
            raise UnknownInputError(unknown, self.inputs(), where=where)


def form_as_object(data: Any) -> Any:
    """A form body as the JSON object it stands for: a custom field is sent as
    `fields.<field_id>=value`, a repeated key as a list."""
    if not isinstance(data, QueryDict):
        return data
    plain: dict[str, Any] = {}
    form_fields: dict[str, Any] = {}
    for key, values in data.lists():
        value = values if len(values) > 1 else values[0]
        if key.startswith("fields."):
            form_fields[key.removeprefix("fields.")] = value
        else:
            plain[key] = value
    if form_fields:
        plain["fields"] = form_fields
    return plain


class RecordWriteSerializer(InputSerializer):
    name = serializers.CharField(required=False, max_length=MAX_NAME)
    fields = serializers.DictField(
        required=False, help_text="Values keyed by field id (or a former id); null clears."
    )

    def parse(self, data: Any) -> dict[str, Any]:
        """{"name": the name or UNSET, "fields": the values as sent or None, …}"""
        data = form_as_object(data)
        if not isinstance(data, dict):
            raise BadRequestError(NOT_AN_OBJECT)
        self.refuse_unknown(data)
        name = clean_name(data["name"]) if "name" in data else UNSET
        return {"name": name, "fields": data.get("fields")}


class RecordUpsertSerializer(RecordWriteSerializer):
    match_on = serializers.CharField(
        required=False,
        help_text="A unique field to match on. Default: email for contacts, name otherwise.",
    )

    def parse(self, data: Any) -> dict[str, Any]:
        parsed = super().parse(data)
        match_on = form_as_object(data).get("match_on")
        if match_on is not None and not isinstance(match_on, str):
            raise InvalidParameterError("match_on", "expected a field's api_name.")
        return {**parsed, "match_on": match_on}


class RecordMergeSerializer(InputSerializer):
    # `from` is a Python keyword, hence the declared name below.
    from_ = serializers.CharField(
        help_text="The id (or a contact's email) of the record to merge in."
    )

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields

    def parse(self, data: Any) -> dict[str, Any]:
        if not hasattr(data, "get") or isinstance(data, list):
            raise BadRequestError(NOT_AN_OBJECT)
        self.refuse_unknown(data)
        source = data.get("from")
        if source is None:
            raise MissingInputError(["from"])
        if not isinstance(source, str) or not source.strip() or len(source) > MAX_ID_LENGTH:
            raise InvalidParameterError("from", "expected a record id (a string).")
        return {"from": source.strip()}


# --- Search.


class FilterConditionSerializer(serializers.Serializer):
    operator = serializers.ChoiceField(
        choices=ALL_OPERATORS,
        required=False,
        help_text='Default "" (equal).',
    )
    value = serializers.JSONField(help_text="A list of values (a bare scalar is accepted).")


# What one key of `filters` (or of an `any` group) holds: one condition, or a list of them,
# ANDed (a range: gte and lte on one field; an empty list is no condition at all).
def filter_conditions() -> PolymorphicProxySerializer:
    proxy = PolymorphicProxySerializer(
        component_name="FilterConditions",
        serializers=[FilterConditionSerializer, FilterConditionSerializer(many=True)],
        resource_type_field_name=None,
        many=False,
    )
    # Kept through the deep copy DRF makes of declared fields, which rebuilds the field from
    # these arguments: without it the copy would forget many=False and the list form.
    proxy._kwargs["many"] = False
    return proxy


CONDITION_INPUTS = frozenset({"operator", "value"})


def body_conditions(schema, filters: Any, *, where: str) -> list[Condition]:
    """The search body's `{key: condition or [conditions]}`, each condition
    `{"operator": op, "value": [..]}`, all ANDed, parsed."""
    if not isinstance(filters, dict):
        raise InvalidParameterError(where, "expected an object of filters.")
    if not filters and where.startswith("any."):
        raise InvalidParameterError(where, "a group needs at least one filter.")
    conditions = []
    for key, spec in filters.items():
        if isinstance(spec, list):  # ANDed; an empty list is no condition
            located = [(f"{where}.{key}.{index}", item) for index, item in enumerate(spec)]
        else:
            located = [(f"{where}.{key}", spec)]
        for label, item in located:
            conditions.append(_body_condition(schema, str(key), item, label))
    return conditions


def _body_condition(schema, key: str, spec: Any, label: str) -> Condition:
    if not isinstance(spec, dict) or set(spec) - CONDITION_INPUTS or "value" not in spec:
        raise InvalidParameterError(
            label, 'expected {"operator": "…", "value": […]}, or a list of them.'
        )
    operator = spec.get("operator") or ""
    if not isinstance(operator, str):
        raise InvalidParameterError(label, "operator must be a string.")
    found = split_filter_key(schema, f"{key}__{operator}" if operator else key)
    if found is None:
        raise InvalidParameterError(label, unknown_filter_key(schema, key))
    target, operator = found
    parsed = RecordFilter(target=target, operator=operator, field_name=label)
    return Condition(target, operator, parsed.values(spec["value"]))


def check_search_size(filters: Any, groups: list[Any]) -> None:
    """A search body within its bounds (`any` groups, conditions in all), checked before any
    condition is parsed; past one, a 400 naming the setting."""
    LimitExceededError.check(
        len(groups),
        setting="API_MAX_SEARCH_ANY_GROUPS",
        message=f"The search has {len(groups):,} 'any' groups, more than a search may have",
        where="any",
    )
    total = sum(
        len(spec) if isinstance(spec, list) else 1
        for part in (filters, *groups)
        if isinstance(part, dict)
        for spec in part.values()
    )
    LimitExceededError.check(
        total,
        setting="API_MAX_SEARCH_CONDITIONS",
        message=f"The search has {total:,} conditions in all, more than a search may have",
        where="filters",
    )


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
            "additionalProperties": {"$ref": "#/components/schemas/FilterConditionsRequest"},
        },
    }
)
class AnyGroupsField(serializers.ListField):
    pass


class RecordSearchSerializer(InputSerializer):
    filters = serializers.DictField(
        child=filter_conditions(),
        required=False,
        help_text="Keyed by id, name, created_at, updated_at or fields__<field>: a condition, "
        "or a list of conditions on that key (a range: gte and lte); all ANDed.",
    )
    any = AnyGroupsField(
        child=serializers.DictField(child=filter_conditions()),
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

    def inputs(self) -> tuple[str, ...]:
        return tuple(sorted(self.fields))

    def parse(self, data: Any) -> dict[str, Any]:
        """{"conditions": the ANDed filters, "any_of": the ORed groups, "controls": the rest
        of the body (sort, select, archived, the window), read as a list reads its query}.
        The object's schema is the context's `schema`."""
        if not isinstance(data, dict):
            raise BadRequestError(NOT_AN_OBJECT)
        self.refuse_unknown(data)
        filters = data.get("filters")
        groups = data.get("any")
        groups = [] if groups is None else groups
        if not isinstance(groups, list):
            raise InvalidParameterError("any", "expected a list of filter groups.")
        check_search_size(filters, groups)
        schema = self.context["schema"]
        conditions = body_conditions(schema, {} if filters is None else filters, where="filters")
        any_of = [
            body_conditions(schema, group, where=f"any.{index}")
            for index, group in enumerate(groups)
        ]
        return {"conditions": conditions, "any_of": any_of, "controls": data}


# --- Batch. Each kind of operation takes its own inputs: its serializer's fields.


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


OPERATION_SERIALIZERS: dict[str, type[serializers.Serializer]] = {
    "create": BatchCreateOperationSerializer,
    "update": BatchUpdateOperationSerializer,
    "upsert": BatchUpsertOperationSerializer,
    "archive": BatchRecordOperationSerializer,
    "unarchive": BatchRecordOperationSerializer,
    "delete": BatchRecordOperationSerializer,
}
# The inputs of each kind of operation, `op` first, as documented.
OPERATION_INPUTS = {
    op: tuple(serializer_class().fields) for op, serializer_class in OPERATION_SERIALIZERS.items()
}
BATCH_OPERATION = PolymorphicProxySerializer(
    component_name="BatchOperation",
    serializers=OPERATION_SERIALIZERS,
    resource_type_field_name="op",
    many=False,
)


class BatchSerializer(InputSerializer):
    atomic = serializers.BooleanField(
        required=False,
        default=True,
        help_text="Default true: any invalid operation means nothing is written (a 422).",
    )
    operations = serializers.ListField(
        child=BATCH_OPERATION, max_length=MAX_OPERATIONS, help_text=f"At most {MAX_OPERATIONS:,}."
    )

    def parse(self, data: Any) -> dict[str, Any]:
        """{"atomic": bool, "operations": one Operation or one error per item, in order}. A
        malformed batch as a whole is a 400; a malformed operation is that operation's own
        error, so that a non-atomic batch still runs the others."""
        if not isinstance(data, dict):
            raise BadRequestError(NOT_AN_OBJECT)
        self.refuse_unknown(data)
        if "operations" not in data:
            raise MissingInputError(["operations"])
        atomic = data.get("atomic", True)
        if not isinstance(atomic, bool):
            raise InvalidParameterError("atomic", "expected true or false.")
        items = data["operations"]
        if not isinstance(items, list):
            raise InvalidParameterError("operations", "expected a list of operations.")
        if len(items) > MAX_OPERATIONS:
            raise InvalidParameterError(
                "operations",
                f"at most {MAX_OPERATIONS} operations in one batch; {len(items)} were sent.",
            )
        operations: list[Operation | DomainError] = []
        for index, item in enumerate(items):
            try:
                operations.append(_operation(index, item))
            except DomainError as exc:
                operations.append(exc)
        return {"atomic": atomic, "operations": operations}


def _operation(index: int, item: Any) -> Operation:
    if not isinstance(item, dict):
        raise BadRequestError("An operation must be a JSON object.")
    if "op" not in item:
        raise MissingInputError(["op"])
    op = item["op"]
    if not isinstance(op, str) or op not in OPERATION_INPUTS:
        raise InvalidParameterError("op", f"expected one of {', '.join(OPERATION_INPUTS)}.")
    allowed = OPERATION_INPUTS[op]
    unknown = sorted(str(key) for key in item if key not in allowed)
    if unknown:
        raise UnknownInputError(unknown, allowed, where=f" for '{op}'")
    operation = Operation(index=index, op=op, fields=item.get("fields"))
    if "id" in allowed:
        if "id" not in item:
            raise MissingInputError(["id"])
        record_id = item["id"]
        if not isinstance(record_id, str) or not record_id or len(record_id) > MAX_ID_LENGTH:
            raise InvalidParameterError("id", "expected a record id (a string).")
        operation.id = record_id
    if "name" in item:
        operation.name = clean_name(item["name"])
    match_on = item.get("match_on")
    if match_on is not None and not isinstance(match_on, str):
        raise InvalidParameterError("match_on", "expected a field's api_name.")
    operation.match_on = match_on
    return operation
