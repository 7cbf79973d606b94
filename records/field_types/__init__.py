"""The field-type registry: one small class per type (see base.FieldType)."""

from records.field_types.base import FieldOptionsError, FieldType, FieldValueError
from records.field_types.choice import BooleanType, MultiSelectType, SelectType
from records.field_types.json_type import JsonType
from records.field_types.numeric import IntegerType, NumberType
from records.field_types.relationship import RelationshipType
from records.field_types.temporal import DateTimeType, DateType
from records.field_types.text import EmailType, LongTextType, PhoneType, TextType, UrlType

FIELD_TYPES: dict[str, FieldType] = {
    field_type.name: field_type
    for field_type in (
        TextType(),
        LongTextType(),
        NumberType(),
        IntegerType(),
        BooleanType(),
        DateType(),
        DateTimeType(),
        EmailType(),
        PhoneType(),
        UrlType(),
        SelectType(),
        MultiSelectType(),
        RelationshipType(),
        JsonType(),
    )
}


__all__ = ["FIELD_TYPES", "FieldOptionsError", "FieldType", "FieldValueError"]
