"""date and datetime. Stored as fixed-width ISO 8601 text (datetimes in UTC), so that text
order is time order on every database."""

import datetime as dt
from typing import Any

from django import forms
from django.utils.dateparse import parse_date, parse_datetime

from records.field_types.base import EQUALITY, ORDERED, FieldType, FieldValueError


def utc_text(value: dt.datetime) -> str:
    """Fixed-width UTC text; a time whose UTC form falls outside years 1-9999 is refused."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    try:
        utc = value.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        raise FieldValueError("The date and time is out of range once converted to UTC.") from None
    return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ").rjust(27, "0")


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
        return utc_text(parsed)

    def form_field(self, options: dict[str, Any], **kwargs: Any) -> forms.Field:
        return forms.DateTimeField(
            widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": "any"}), **kwargs
        )

    def form_initial(self, value: Any) -> Any:
        # Shown in UTC, to the microsecond.
        return value.removesuffix("Z") if isinstance(value, str) else value
