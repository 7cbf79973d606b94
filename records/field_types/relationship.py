"""relationship: a link to a record of another (or the same) object. Written as an id, or a
list of ids when `options.many`; read back as {id, object, name}. A link may also be written
in that read shape (its `id` is used) or, to a contact, as the contact's email. Whether the
targets exist is checked, and addresses resolved to ids, by records.values, all links of a
write in one query per target object."""

import uuid
from typing import Any

from django import forms

from records.field_types.base import FieldOptionsError, FieldType, FieldValueError

MAX_LINKS = 1000


READ_SHAPE = frozenset({"id", "object", "name"})
MAX_ADDRESS = 254  # the longest email address


class RecordAddress(str):
    """A linked record named by its address (a contact's email) rather than its id. Never
    stored: records.values resolves it to the id before anything is written, or refuses the
    write when no record has it."""


def parse_id(value: Any) -> str:
    """A link as written: an id, an address, or {id, object, name} as links are read."""
    if isinstance(value, dict) and "id" in value and value.keys() <= READ_SHAPE:
        value = value["id"]
    if not isinstance(value, str) or len(value) > 255:
        raise FieldValueError("Expected a record id.")
    try:
        return str(uuid.UUID(value))
    except ValueError:
        if "@" in value and len(value.strip()) <= MAX_ADDRESS:
            return RecordAddress(value.strip())
        raise FieldValueError(f"'{value[:100]}' is not a record id.") from None


class RelationshipType(FieldType):
    name = "relationship"
    operators = ("", "not", "in", "isnull")
    sortable = False
    links_records = True

    def list_valued(self, options: dict[str, Any]) -> bool:
        return bool(options.get("many"))

    def clean_options(self, options: dict[str, Any]) -> dict[str, Any]:
        unknown = set(options) - {"target", "many"}
        if unknown:
            raise FieldOptionsError(
                f"Unknown option for relationship: {', '.join(sorted(unknown))}."
            )
        target = options.get("target")
        if not isinstance(target, str) or not target:
            raise FieldOptionsError("A relationship needs options.target: an object's api_name.")
        many = options.get("many", False)
        if not isinstance(many, bool):
            raise FieldOptionsError("options.many must be true or false.")
        return {"target": target, "many": many}

    def normalize(self, value: Any, options: dict[str, Any]) -> Any:
        if options.get("many"):
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list):
                raise FieldValueError("Expected a list of record ids.")
            if len(value) > MAX_LINKS:
                raise FieldValueError(f"At most {MAX_LINKS} linked records.")
            return list(dict.fromkeys(parse_id(item) for item in value))
        return parse_id(value)

    def filter_operand(self, value: Any, options: dict[str, Any]) -> Any:
        return parse_id(value)

    def form_field(self, options: dict[str, Any], **kwargs: Any) -> forms.Field:
        return forms.CharField(**kwargs)

    def openapi_schema(self, options: dict[str, Any]) -> dict[str, Any]:
        link = {
            "type": "object",
            "properties": {
                "id": {"type": "string"},
                "object": {"type": "string"},
                "name": {"type": "string"},
            },
        }
        return {"type": "array", "items": link} if options.get("many") else link
