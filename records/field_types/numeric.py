"""number and integer. Stored as JSON numbers; compared and sorted as numbers."""

import math
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms

from records.field_types.base import EQUALITY, ORDERED, FieldType, FieldValueError

# Integers beyond what a double holds exactly would sort and compare wrongly.
MAX_SAFE_INTEGER = 2**53 - 1


def parse_number(value: Any) -> float | int:
    if isinstance(value, bool):
        raise FieldValueError("Expected a number.")
    if isinstance(value, int | float):
        number = value
    elif isinstance(value, str) and len(value) <= 100:
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise FieldValueError("Expected a number.") from None
        number = int(number) if number == number.to_integral_value() else float(number)
    else:
        raise FieldValueError("Expected a number.")
    if isinstance(number, float) and not math.isfinite(number):
        raise FieldValueError("Expected a finite number.")
    if abs(number) > MAX_SAFE_INTEGER and isinstance(number, int):
        raise FieldValueError(
            f"Expected a number between -{MAX_SAFE_INTEGER} and {MAX_SAFE_INTEGER}."
        )
    if isinstance(number, float) and abs(number) > 1e300:
        raise FieldValueError("The number is too large.")
    if isinstance(number, float) and number.is_integer() and abs(number) <= MAX_SAFE_INTEGER:
        return int(number)
    return number


class NumberType(FieldType):
    name = "number"
    operators = (*EQUALITY, *ORDERED)
    sort_as = "number"
    json_schema = {"type": "number"}

    def normalize(self, value: Any, options: dict[str, Any]) -> Any:
        return parse_number(value)

    def form_field(self, options: dict[str, Any], **kwargs: Any) -> forms.Field:
        return forms.FloatField(**kwargs)


class IntegerType(NumberType):
    name = "integer"
    json_schema = {"type": "integer"}

    def normalize(self, value: Any, options: dict[str, Any]) -> Any:
        number = parse_number(value)
        if not isinstance(number, int):
            raise FieldValueError("Expected an integer.")
        return number

    def form_field(self, options: dict[str, Any], **kwargs: Any) -> forms.Field:
        return forms.IntegerField(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER, **kwargs)
