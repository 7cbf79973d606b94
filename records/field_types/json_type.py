"""json: any JSON value, kept as sent (up to 100 KB)."""

import json
from typing import Any

from django import forms

from records.field_types.base import FieldType, FieldValueError

MAX_JSON_BYTES = 100_000


class JsonType(FieldType):
    name = "json"
    operators = ("isnull",)
    json_schema = {}

    def normalize(self, value: Any, options: dict[str, Any]) -> Any:
        try:
            size = len(json.dumps(value, allow_nan=False))
        except (TypeError, ValueError):
            raise FieldValueError("Expected a JSON value.") from None
        if size > MAX_JSON_BYTES:
            raise FieldValueError(f"Expected at most {MAX_JSON_BYTES} bytes of JSON.")
        return value

    def form_field(self, options: dict[str, Any], **kwargs: Any) -> forms.Field:
        return forms.JSONField(**kwargs)
