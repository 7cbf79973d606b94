"""date and datetime. Stored as fixed-width ISO 8601 text (datetimes in UTC), so that text
order is time order on every database."""

import datetime as dt
from typing import Any

from django import forms
from django.utils.dateparse import parse_date, parse_datetime

from records.field_types.base import EQUALITY, ORDERED, FieldType, FieldValueError


class DateType(FieldType):
    name = "date"
    operators = (*EQUALITY, *ORDERED)
    json_schema = {"type": "string", "format": "date"}

    def normalize(self, value: Any, options: dict[str, Any]) -> Any:
        try:
            parsed = parse_date(value) if isinstance(value, str) and len(value) <= 10 else None
        except ValueError:
            parsed = None
        if parsed is None:
            raise FieldValueError("Expected a date as YYYY-MM-DD.")
        return parsed.isoformat()

    def form_field(self, options: dict[str, Any], **kwargs: Any) -> forms.Field:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **kwargs)


class DateTimeType(FieldType):
    name = "datetime"
    operators = (*EQUALITY, *ORDERED)
    json_schema = {"type": "string", "format": "date-time"}

    def normalize(self, value: Any, options: dict[str, Any]) -> Any:
        try:
            parsed = parse_datetime(value) if isinstance(value, str) and len(value) <= 40 else None
        except ValueError:
            parsed = None
        if parsed is None:
            raise FieldValueError(
                "Expected a date and time in ISO 8601, e.g. 2026-01-01T10:30:00Z."
            )
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.UTC)
        utc = parsed.astimezone(dt.UTC)
        return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def form_field(self, options: dict[str, Any], **kwargs: Any) -> forms.Field:
        return forms.DateTimeField(
            widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), **kwargs
        )
