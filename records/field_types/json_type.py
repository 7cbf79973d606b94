"""json: any JSON value, kept as sent (up to 100 KB)."""

import json
from typing import Any

from django import forms

from records.field_types.base import FieldType, FieldValueError

MAX_JSON_BYTES = 100_000
MAX_DEPTH = 100  # SQLite's JSON functions refuse deeper documents


def depth(value: Any) -> int:
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, level = pending.pop()
        deepest = max(deepest, level)
        if isinstance(item, dict):
            pending.extend((child, level + 1) for child in item.values())
        elif isinstance(item, list):
            pending.extend((child, level + 1) for child in item)
    return deepest


class JsonType(FieldType):
    name = "json"
    operators = ("isnull",)
    sortable = False
    keeps_empty = True
    countable = False
    indexed_as = None
    json_schema = {}

    def normalize(self, value: Any, options: dict[str, Any]) -> Any:
        try:
            size = len(json.dumps(value, allow_nan=False))
        except (TypeError, ValueError):
            raise FieldValueError("Expected a JSON value.") from None
        if size > MAX_JSON_BYTES:
            raise FieldValueError(f"Expected at most {MAX_JSON_BYTES} bytes of JSON.")
        if depth(value) > MAX_DEPTH:
            raise FieldValueError(f"Expected JSON nested at most {MAX_DEPTH} levels deep.")
        return value

    def form_field(self, options: dict[str, Any], **kwargs: Any) -> forms.Field:
        return forms.JSONField(**kwargs)
