"""number and integer. Stored as JSON numbers; compared and sorted as numbers."""

import math
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms

from records.field_types.base import EQUALITY, ORDERED, FieldType, FieldValueError

# Integers beyond what a double holds exactly would sort and compare wrongly: a number above
# this is kept as a float (as JSON clients read it anyway); an integer field refuses it.
MAX_SAFE_INTEGER = 2**53 - 1
MAX_MAGNITUDE = 1e300
TOO_LARGE = f"Expected a number between -{MAX_MAGNITUDE:g} and {MAX_MAGNITUDE:g}."


def parse_number(value: Any) -> float | int:
    """A finite number from a JSON number or its text; integral values within the safe range
    come back as int. Never converts an unbounded exponent (`1e999999999` is refused at once)."""
    if isinstance(value, bool):
        raise FieldValueError("Expected a number.")
    if isinstance(value, int):
        if abs(value) <= MAX_SAFE_INTEGER:
            return value
        if value.bit_length() > 1000:
            raise FieldValueError(TOO_LARGE)
        number = float(value)
    elif isinstance(value, float):
        number = value
    elif isinstance(value, str) and len(value) <= 100:
        try:
            decimal = Decimal(value.strip())
        except InvalidOperation:
            raise FieldValueError("Expected a number.") from None
        if not decimal.is_finite():
            raise FieldValueError("Expected a finite number.")
        if decimal.adjusted() > 300:
            raise FieldValueError(TOO_LARGE)
        if decimal.adjusted() < -300:
            decimal = Decimal(0)
        if decimal == decimal.to_integral_value() and abs(decimal) <= MAX_SAFE_INTEGER:
            return int(decimal)
        number = float(decimal)
    else:
        raise FieldValueError("Expected a number.")
    if not math.isfinite(number) or abs(number) > MAX_MAGNITUDE:
        raise FieldValueError(TOO_LARGE)
    if number.is_integer() and abs(number) <= MAX_SAFE_INTEGER:
        return int(number)
    return number


class NumberType(FieldType):
    name = "number"
    operators = (*EQUALITY, *ORDERED)
    sort_as = "number"
    indexed_as = "number"
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
        if isinstance(number, float) and number.is_integer():
            raise FieldValueError(
                f"Expected an integer between -{MAX_SAFE_INTEGER} and {MAX_SAFE_INTEGER}."
            )
        if not isinstance(number, int):
            raise FieldValueError("Expected an integer.")
        return number

    def form_field(self, options: dict[str, Any], **kwargs: Any) -> forms.Field:
        return forms.IntegerField(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER, **kwargs)
