"""boolean, select and multi_select."""

from typing import Any

from django import forms

from records.field_types.base import (
    EQUALITY,
    FieldOptionsError,
    FieldType,
    FieldValueError,
)

TRUE_WORDS = {"true", "1", "yes", "on"}
FALSE_WORDS = {"false", "0", "no", "off"}
MAX_CHOICES = 1000


class BooleanType(FieldType):
    name = "boolean"
    operators = ("", "not", "isnull")
    sort_as = "boolean"
    json_schema = {"type": "boolean"}

    def normalize(self, value: Any, options: dict[str, Any]) -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in TRUE_WORDS | FALSE_WORDS:
            return value.strip().lower() in TRUE_WORDS
        raise FieldValueError("Expected true or false.")

    def form_field(self, options: dict[str, Any], **kwargs: Any) -> forms.Field:
        return forms.NullBooleanField(**kwargs)


def clean_choices(options: dict[str, Any], type_name: str) -> dict[str, Any]:
    unknown = set(options) - {"choices"}
    if unknown:
        raise FieldOptionsError(f"Unknown option for {type_name}: {', '.join(sorted(unknown))}.")
    choices = options.get("choices")
    if not isinstance(choices, list) or not choices:
        raise FieldOptionsError(f"A {type_name} field needs options.choices: a list of strings.")
    if len(choices) > MAX_CHOICES:
        raise FieldOptionsError(f"At most {MAX_CHOICES} choices.")
    if not all(isinstance(choice, str) and 0 < len(choice) <= 200 for choice in choices):
        raise FieldOptionsError("Each choice must be a string of 1 to 200 characters.")
    if len(set(choices)) != len(choices):
        raise FieldOptionsError("Choices must be distinct.")
    return {"choices": list(choices)}


def check_choice(value: Any, options: dict[str, Any]) -> str:
    choices = options.get("choices", [])
    if not isinstance(value, str) or value not in choices:
        shown = str(value)[:100]
        raise FieldValueError(f"'{shown}' is not one of the choices: {', '.join(choices)}.")
    return value


class SelectType(FieldType):
    name = "select"
    has_choices = True
    operators = (*EQUALITY,)

    def clean_options(self, options: dict[str, Any]) -> dict[str, Any]:
        return clean_choices(options, self.name)

    def normalize(self, value: Any, options: dict[str, Any]) -> Any:
        return check_choice(value, options)

    def form_field(self, options: dict[str, Any], **kwargs: Any) -> forms.Field:
        choices = [("", "—"), *[(choice, choice) for choice in options.get("choices", [])]]
        return forms.ChoiceField(choices=choices, **kwargs)

    def openapi_schema(self, options: dict[str, Any]) -> dict[str, Any]:
        return {"type": "string", "enum": options.get("choices", [])}


class MultiSelectType(FieldType):
    name = "multi_select"
    has_choices = True
    # contains: has this option; "" (equal): exactly these options.
    operators = ("", "contains", "isnull")
    sortable = False

    def clean_options(self, options: dict[str, Any]) -> dict[str, Any]:
        return clean_choices(options, self.name)

    def list_valued(self, options: dict[str, Any]) -> bool:
        return True

    def normalize(self, value: Any, options: dict[str, Any]) -> Any:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise FieldValueError("Expected a list of choices.")
        picked = [check_choice(item, options) for item in value]
        # Stored in the order of the choices, without repeats.
        order = options.get("choices", [])
        return sorted(set(picked), key=order.index)

    def filter_operand(self, value: Any, options: dict[str, Any]) -> Any:
        return check_choice(value, options)

    def form_field(self, options: dict[str, Any], **kwargs: Any) -> forms.Field:
        choices = [(choice, choice) for choice in options.get("choices", [])]
        return forms.MultipleChoiceField(
            choices=choices, widget=forms.CheckboxSelectMultiple, **kwargs
        )

    def openapi_schema(self, options: dict[str, Any]) -> dict[str, Any]:
        return {"type": "array", "items": {"type": "string", "enum": options.get("choices", [])}}
